import { GatewayError } from '@sluice/common';
import { CallType } from '@sluice/proto';
import type { AdapterContext, Deployment, ParsedResponse, ProviderAdapter, UpstreamRequest } from '../provider-adapter.js';
import { splitApiBase } from '../shared/api-base.js';
import { buildBedrockEmbeddingBody, parseBedrockEmbedding } from './bedrock-embeddings.js';
import { mapBedrockError } from './bedrock-error.js';
import { createBedrockStreamMapper } from './bedrock-stream-mapper.js';
import { convertToBedrockRequest } from './convert-to-bedrock-request.js';
import { parseBedrockResponse } from './parse-bedrock-response.js';
import { signAwsRequest } from './sign-aws-request.js';

export const DEFAULT_BEDROCK_REGION = 'us-east-1';

export function bedrockRegion(deployment: Deployment): string {
  return deployment.params.aws_region_name ?? DEFAULT_BEDROCK_REGION;
}

/** The runtime endpoint of a region, unless aws_bedrock_runtime_endpoint / api_base names another. */
export function bedrockApiBase(params: Deployment['params']): string {
  return params.aws_bedrock_runtime_endpoint ?? `https://bedrock-runtime.${params.aws_region_name ?? DEFAULT_BEDROCK_REGION}.amazonaws.com`;
}

/**
 * Bedrock (`bedrock/`): Converse and ConverseStream for chat, InvokeModel for Titan and Cohere
 * embeddings. Requests are signed with SigV4 from the deployment's aws_access_key_id /
 * aws_secret_access_key (/ aws_session_token), or carry a Bedrock API key as a bearer token (api_key).
 */
export function createBedrockProvider(): ProviderAdapter {
  return {
    framing: 'aws-eventstream',
    async buildRequest(context: AdapterContext, body: Record<string, unknown>): Promise<UpstreamRequest> {
      const deployment = context.deployment;
      let action: string;
      let payload: Record<string, unknown>;
      if (context.callType === CallType.CALL_TYPE_CHAT_COMPLETION) {
        action = context.stream ? 'converse-stream' : 'converse';
        payload = convertToBedrockRequest(context, body);
      } else if (context.callType === CallType.CALL_TYPE_EMBEDDING) {
        action = 'invoke';
        payload = buildBedrockEmbeddingBody(context, body);
      } else {
        throw new GatewayError('invalid_request', 'This call type is not supported by the provider.');
      }
      return bedrockRequest(deployment, action, JSON.stringify(payload));
    },
    parseResponse(context: AdapterContext, raw: Buffer): ParsedResponse {
      if (context.callType === CallType.CALL_TYPE_EMBEDDING) return parseBedrockEmbedding(context, raw);
      return parseBedrockResponse(context, raw);
    },
    createStreamMapper: createBedrockStreamMapper,
    mapError: mapBedrockError,
  };
}

/** A signed (SigV4) or bearer-authenticated call of a model action (converse, invoke, ...). */
export async function bedrockRequest(deployment: Deployment, action: string, json: string): Promise<UpstreamRequest> {
  const { origin, basePath } = splitApiBase(deployment.apiBase);
  const path = `${basePath}/model/${encodeURIComponent(deployment.model)}/${action}`;
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...deployment.params.extra_headers };
  if (deployment.params.aws_access_key_id && deployment.params.aws_secret_access_key) {
    const signed = await signAwsRequest(
      { method: 'POST', origin, path, headers, body: json },
      {
        accessKeyId: deployment.params.aws_access_key_id,
        secretAccessKey: deployment.params.aws_secret_access_key,
        ...(deployment.params.aws_session_token ? { sessionToken: deployment.params.aws_session_token } : {}),
      },
      bedrockRegion(deployment),
      'bedrock',
    );
    return { origin, path, method: 'POST', headers: signed, body: json };
  }
  if (deployment.apiKey) return { origin, path, method: 'POST', headers: { ...headers, authorization: `Bearer ${deployment.apiKey}` }, body: json };
  throw new GatewayError('upstream_auth_error', 'The deployment has neither AWS credentials nor a Bedrock API key.');
}
