import { GatewayError } from '@sluice/common';
import { CallType } from '@sluice/proto';
import { mapAnthropicError } from '../anthropic/anthropic-error.js';
import { createAnthropicPassthroughStreamMapper } from '../anthropic/anthropic-passthrough-stream-mapper.js';
import { createAnthropicStreamMapper } from '../anthropic/anthropic-stream-mapper.js';
import { convertToAnthropicRequest } from '../anthropic/convert-to-anthropic-request.js';
import { parseAnthropicNativeResponse, parseAnthropicResponse } from '../anthropic/parse-anthropic-response.js';
import { vertexModelPath } from '../gemini/create-gemini-provider.js';
import { mapGeminiError } from '../gemini/gemini-error.js';
import type { VertexTokenSource } from '../gemini/vertex-token-source.js';
import type { AdapterContext, Deployment, ProviderAdapter, UpstreamFailure, UpstreamRequest } from '../provider-adapter.js';
import { parseJsonOrUndefined, type Headers } from '../shared/upstream-failure.js';
import { spliceVertexClaudeBody, vertexClaudeBody } from './vertex-claude-body.js';

/** Claude on Vertex AI: `vertex_ai/claude-sonnet-4-5@20250929` and the like, as LiteLLM names them. */
export function isVertexClaude(deployment: Deployment): boolean {
  return deployment.model.startsWith('claude');
}

const NATIVE: ReadonlySet<CallType> = new Set([CallType.CALL_TYPE_CHAT_COMPLETION, CallType.CALL_TYPE_ANTHROPIC_MESSAGES]);

/**
 * Vertex answers for Claude either in Anthropic's error shape (the model's own errors) or in Google's
 * (quota, auth, unknown model, raised before the model is reached).
 */
function mapVertexClaudeError(status: number, raw: Buffer, headers: Headers): UpstreamFailure {
  const body = parseJsonOrUndefined<{ type?: string }>(raw);
  return body?.type === 'error' ? mapAnthropicError(status, raw, headers) : mapGeminiError(status, raw, headers);
}

/**
 * Claude on Vertex AI (`vertex_ai/claude-...`): Anthropic's Messages API behind Vertex's `:rawPredict`
 * and `:streamRawPredict`, with the model in the URL and `anthropic_version: vertex-2023-10-16` in the
 * body. Messages clients get their own bytes through (only `model` cut out), so cache_control, thinking
 * and documents arrive as sent, and the answer and stream come back as Anthropic wrote them; chat
 * completions go through the same translation as `anthropic/`.
 */
export function createVertexClaudeAdapter(tokenSource: VertexTokenSource): ProviderAdapter {
  return {
    framing: 'sse',
    nativeCallTypes: NATIVE,
    async buildRequest(context: AdapterContext, body: Record<string, unknown>): Promise<UpstreamRequest> {
      const native = context.callType === CallType.CALL_TYPE_ANTHROPIC_MESSAGES;
      if (!native && context.callType !== CallType.CALL_TYPE_CHAT_COMPLETION) {
        throw new GatewayError('invalid_request', 'Claude models on Vertex AI only support chat completions and messages.');
      }
      const deployment = context.deployment;
      const { origin, path } = vertexModelPath(deployment, context.stream ? 'streamRawPredict' : 'rawPredict', 'anthropic');
      const beta = native ? context.clientHeaders?.['anthropic-beta'] : undefined;
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        ...(beta ? { 'anthropic-beta': beta } : {}),
        ...deployment.params.extra_headers,
        authorization: `Bearer ${await tokenSource(deployment)}`,
      };
      const outgoing = native
        ? ((context.rawBody && spliceVertexClaudeBody(context.rawBody, body)) ?? JSON.stringify(vertexClaudeBody(body)))
        : JSON.stringify(vertexClaudeBody(convertToAnthropicRequest(context, body)));
      return { origin, path, method: 'POST', headers, body: outgoing };
    },
    parseResponse: (context, raw) => (context.callType === CallType.CALL_TYPE_ANTHROPIC_MESSAGES ? parseAnthropicNativeResponse(raw) : parseAnthropicResponse(context, raw)),
    createStreamMapper: (context) =>
      context.callType === CallType.CALL_TYPE_ANTHROPIC_MESSAGES ? createAnthropicPassthroughStreamMapper(context) : createAnthropicStreamMapper(context),
    mapError: mapVertexClaudeError,
  };
}
