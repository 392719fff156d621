import { GatewayError } from '@sluice/common';
import { CallType } from '@sluice/proto';
import type { AdapterContext, Deployment, ParsedResponse, ProviderAdapter, UpstreamRequest } from '../provider-adapter.js';
import { splitApiBase } from '../shared/api-base.js';
import { embeddingListBody } from '../shared/chat-completion-body.js';
import { embeddingInputs, estimateTextTokens } from '../shared/openai-messages.js';
import { checkSupportedParams } from '../shared/supported-params.js';
import { convertToGeminiRequest } from './convert-to-gemini-request.js';
import { mapGeminiError } from './gemini-error.js';
import { createGeminiStreamMapper } from './gemini-stream-mapper.js';
import { parseGeminiResponse } from './parse-gemini-response.js';
import { readVertexCredentials, type VertexTokenSource } from './vertex-token-source.js';

export const DEFAULT_VERTEX_LOCATION = 'us-central1';

/** Gemini on Google AI Studio: `{api_base}/v1beta/models/{model}:{method}` (a /v1beta or /v1 already in api_base is kept). */
export function geminiModelPath(deployment: Deployment, method: string): { origin: string; path: string } {
  const { origin, basePath } = splitApiBase(deployment.apiBase);
  const versioned = /\/v1(beta\d*|alpha)?$/.test(basePath) ? basePath : `${basePath}/v1beta`;
  return { origin, path: `${versioned}/models/${encodeURIComponent(deployment.model)}:${method}` };
}

/** The Vertex AI endpoint of a location: regional, or the global one. */
export function vertexApiBase(location: string): string {
  return location === 'global' ? 'https://aiplatform.googleapis.com' : `https://${location}-aiplatform.googleapis.com`;
}

/** A model id as a path segment; `@` (Vertex's version separator, claude-...@20250929) is left as it is, as Google's clients send it. */
function modelSegment(model: string): string {
  return encodeURIComponent(model).replaceAll('%40', '@');
}

/**
 * A model on Vertex AI: `/v1/projects/{project}/locations/{location}/publishers/{publisher}/models/{model}:{method}`
 * (Gemini is Google's, Claude Anthropic's).
 */
export function vertexModelPath(deployment: Deployment, method: string, publisher = 'google'): { origin: string; path: string } {
  const { origin, basePath } = splitApiBase(deployment.apiBase);
  const location = deployment.params.vertex_location ?? DEFAULT_VERTEX_LOCATION;
  const project =
    deployment.params.vertex_project ??
    (deployment.params.vertex_credentials ? readVertexCredentials(deployment.params.vertex_credentials).project_id : undefined);
  if (!project) throw new GatewayError('upstream_auth_error', 'The deployment sets no vertex_project.');
  return {
    origin,
    path: `${basePath}/v1/projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(location)}/publishers/${publisher}/models/${modelSegment(deployment.model)}:${method}`,
  };
}

interface GeminiEmbeddings {
  embeddings?: Array<{ values?: number[] }>;
}

export interface GeminiProviderOptions {
  /** Vertex AI: bearer tokens from a service account instead of an API key. */
  vertex?: { tokenSource: VertexTokenSource };
}

/** Gemini (`gemini/`, API key in x-goog-api-key) and Vertex AI (`vertex_ai/`, OAuth bearer): the same wire format. */
export function createGeminiProvider(options: GeminiProviderOptions = {}): ProviderAdapter {
  const vertex = options.vertex;
  const target = vertex ? (deployment: Deployment, method: string) => vertexModelPath(deployment, method) : geminiModelPath;
  const authHeaders = async (deployment: Deployment): Promise<Record<string, string>> => {
    if (vertex) return { authorization: `Bearer ${await vertex.tokenSource(deployment)}` };
    return deployment.apiKey ? { 'x-goog-api-key': deployment.apiKey } : {};
  };
  return {
    framing: 'sse',
    async buildRequest(context: AdapterContext, body: Record<string, unknown>): Promise<UpstreamRequest> {
      const deployment = context.deployment;
      let method: string;
      let payload: Record<string, unknown>;
      if (context.callType === CallType.CALL_TYPE_CHAT_COMPLETION) {
        method = context.stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
        payload = convertToGeminiRequest(context, body);
      } else if (context.callType === CallType.CALL_TYPE_EMBEDDING && !vertex) {
        checkSupportedParams(context, body, new Set(['dimensions', 'encoding_format']));
        method = 'batchEmbedContents';
        const model = `models/${deployment.model}`;
        payload = {
          requests: embeddingInputs(body).map((text) => ({
            model,
            content: { parts: [{ text }] },
            ...(typeof body.dimensions === 'number' ? { outputDimensionality: body.dimensions } : {}),
          })),
        };
      } else {
        throw new GatewayError('invalid_request', 'This call type is not supported by the provider.');
      }
      const { origin, path } = target(deployment, method);
      const headers = { 'content-type': 'application/json', ...deployment.params.extra_headers, ...(await authHeaders(deployment)) };
      return { origin, path, method: 'POST', headers, body: JSON.stringify(payload) };
    },
    parseResponse(context: AdapterContext, raw: Buffer): ParsedResponse {
      if (context.callType !== CallType.CALL_TYPE_EMBEDDING) return parseGeminiResponse(context, raw);
      const parsed = JSON.parse(raw.toString('utf8')) as GeminiEmbeddings;
      const vectors = (parsed.embeddings ?? []).map((embedding) => embedding.values ?? []);
      // The embeddings API reports no token count: estimated, and flagged as such.
      const usage = { promptTokens: estimateTextTokens(embeddingInputs(context.body)), completionTokens: 0, cachedTokens: 0, reasoningTokens: 0 };
      return { body: embeddingListBody(context, vectors, usage), usage, usageEstimated: true, finishReason: '' };
    },
    createStreamMapper: createGeminiStreamMapper,
    mapError: mapGeminiError,
  };
}
