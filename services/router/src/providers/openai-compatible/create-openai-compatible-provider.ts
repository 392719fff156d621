import { GatewayError } from '@sluice/common';
import { CallType } from '@sluice/proto';
import type { AdapterContext, ParsedResponse, ProviderAdapter, UpstreamRequest } from '../provider-adapter.js';
import { mapOpenAiError } from './openai-error.js';
import { createOpenAiStreamMapper } from './openai-stream-mapper.js';
import { readOpenAiUsage } from './openai-usage.js';

// Body fields that steer the gateway and must not reach the provider.
const GATEWAY_FIELDS = ['metadata', 'cache', 'fallbacks', 'tags', 'mock_response', 'num_retries', 'caching'];

const PATHS: Partial<Record<CallType, string>> = {
  [CallType.CALL_TYPE_CHAT_COMPLETION]: '/chat/completions',
  [CallType.CALL_TYPE_COMPLETION]: '/completions',
  [CallType.CALL_TYPE_EMBEDDING]: '/embeddings',
};

/** Splits a configured api_base into origin and path prefix, without a trailing slash. */
export function splitApiBase(apiBase: string): { origin: string; basePath: string } {
  const url = new URL(apiBase);
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
}

/**
 * Every OpenAI-compatible provider (OpenAI itself, vLLM, Groq, Together, DeepSeek, Mistral, OpenRouter,
 * ...) is this one adapter with a different default base URL.
 */
export function createOpenAiCompatibleProvider(): ProviderAdapter {
  return {
    framing: 'sse',
    buildRequest(context: AdapterContext, body: Record<string, unknown>): UpstreamRequest {
      const path = PATHS[context.callType];
      if (!path) throw new GatewayError('invalid_request', 'This call type is not supported by the provider.');
      const { origin, basePath } = splitApiBase(context.deployment.apiBase);
      const outgoing: Record<string, unknown> = { ...body, model: context.deployment.model };
      for (const field of GATEWAY_FIELDS) delete outgoing[field];
      if (context.stream) {
        // Always ask for usage so spend is exact; the mapper hides it again if the client did not ask.
        outgoing.stream_options = { ...(body.stream_options as object | undefined), include_usage: true };
      }
      const headers: Record<string, string> = { 'content-type': 'application/json', ...context.deployment.params.extra_headers };
      if (context.deployment.apiKey) headers.authorization = `Bearer ${context.deployment.apiKey}`;
      if (context.deployment.params.organization) headers['openai-organization'] = context.deployment.params.organization;
      return { origin, path: basePath + path, method: 'POST', headers, body: JSON.stringify(outgoing) };
    },
    parseResponse(_context: AdapterContext, raw: Buffer): ParsedResponse {
      const parsed = JSON.parse(raw.toString('utf8')) as {
        usage?: Parameters<typeof readOpenAiUsage>[0];
        choices?: Array<{ finish_reason?: string | null }>;
      };
      return {
        body: raw,
        usage: readOpenAiUsage(parsed.usage),
        finishReason: parsed.choices?.[0]?.finish_reason ?? '',
      };
    },
    createStreamMapper: createOpenAiStreamMapper,
    mapError: mapOpenAiError,
  };
}
