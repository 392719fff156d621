import { GatewayError } from '@sluice/common';
import { CallType } from '@sluice/proto';
import type { AdapterContext, ProviderAdapter, UpstreamRequest } from '../provider-adapter.js';
import { splitApiBase } from '../shared/api-base.js';
import { mapAnthropicError } from './anthropic-error.js';
import { createAnthropicStreamMapper } from './anthropic-stream-mapper.js';
import { convertToAnthropicRequest } from './convert-to-anthropic-request.js';
import { parseAnthropicNativeResponse, parseAnthropicResponse } from './parse-anthropic-response.js';
import { createAnthropicPassthroughStreamMapper } from './anthropic-passthrough-stream-mapper.js';
import { spliceOpenAiBody } from '../openai-compatible/splice-openai-body.js';

export const ANTHROPIC_VERSION = '2023-06-01';

const NATIVE_CALL_TYPES: ReadonlySet<CallType> = new Set([CallType.CALL_TYPE_CHAT_COMPLETION, CallType.CALL_TYPE_ANTHROPIC_MESSAGES]);

/**
 * A Messages request from a Messages client: the client's bytes with only the model replaced, so
 * everything Anthropic reads (cache_control, thinking, documents, betas' fields) arrives as sent.
 */
export function anthropicNativeBody(context: AdapterContext, body: Record<string, unknown>): Buffer | string {
  const model = context.deployment.model;
  const spliced = context.rawBody && spliceOpenAiBody(context.rawBody, body, model, false, []);
  return spliced ?? JSON.stringify({ ...body, model });
}

/**
 * The Messages endpoint under a configured api_base. Operators write it with or without the trailing
 * /v1 (LiteLLM's docs show both), so a trailing /v1 is removed before /v1/messages is added.
 */
export function anthropicMessagesPath(apiBase: string): { origin: string; path: string } {
  const { origin, basePath } = splitApiBase(apiBase);
  return { origin, path: `${basePath.replace(/\/v1$/, '')}/v1/messages` };
}

/** Anthropic's Messages API (`anthropic/`), both ways. */
export function createAnthropicProvider(): ProviderAdapter {
  return {
    framing: 'sse',
    nativeCallTypes: NATIVE_CALL_TYPES,
    buildRequest(context: AdapterContext, body: Record<string, unknown>): UpstreamRequest {
      const native = context.callType === CallType.CALL_TYPE_ANTHROPIC_MESSAGES;
      if (!native && context.callType !== CallType.CALL_TYPE_CHAT_COMPLETION) {
        throw new GatewayError('invalid_request', 'Anthropic models only support chat completions and messages.');
      }
      const deployment = context.deployment;
      const { origin, path } = anthropicMessagesPath(deployment.apiBase);
      const client = native ? context.clientHeaders : undefined;
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'anthropic-version': client?.['anthropic-version'] || ANTHROPIC_VERSION,
        ...(client?.['anthropic-beta'] ? { 'anthropic-beta': client['anthropic-beta'] } : {}),
        ...deployment.params.extra_headers,
      };
      if (deployment.apiKey) headers['x-api-key'] = deployment.apiKey;
      const outgoing = native ? anthropicNativeBody(context, body) : JSON.stringify(convertToAnthropicRequest(context, body));
      return { origin, path, method: 'POST', headers, body: outgoing };
    },
    parseResponse: (context, raw) => (context.callType === CallType.CALL_TYPE_ANTHROPIC_MESSAGES ? parseAnthropicNativeResponse(raw) : parseAnthropicResponse(context, raw)),
    createStreamMapper: (context) =>
      context.callType === CallType.CALL_TYPE_ANTHROPIC_MESSAGES ? createAnthropicPassthroughStreamMapper(context) : createAnthropicStreamMapper(context),
    mapError: mapAnthropicError,
  };
}
