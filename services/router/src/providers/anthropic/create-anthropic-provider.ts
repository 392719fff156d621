import { GatewayError } from '@sluice/common';
import { CallType } from '@sluice/proto';
import type { AdapterContext, ProviderAdapter, UpstreamRequest } from '../provider-adapter.js';
import { splitApiBase } from '../shared/api-base.js';
import { mapAnthropicError } from './anthropic-error.js';
import { createAnthropicStreamMapper } from './anthropic-stream-mapper.js';
import { convertToAnthropicRequest } from './convert-to-anthropic-request.js';
import { parseAnthropicResponse } from './parse-anthropic-response.js';

export const ANTHROPIC_VERSION = '2023-06-01';

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
    buildRequest(context: AdapterContext, body: Record<string, unknown>): UpstreamRequest {
      if (context.callType !== CallType.CALL_TYPE_CHAT_COMPLETION) {
        throw new GatewayError('invalid_request', 'Anthropic models only support chat completions.');
      }
      const deployment = context.deployment;
      const { origin, path } = anthropicMessagesPath(deployment.apiBase);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'anthropic-version': ANTHROPIC_VERSION,
        ...deployment.params.extra_headers,
      };
      if (deployment.apiKey) headers['x-api-key'] = deployment.apiKey;
      return { origin, path, method: 'POST', headers, body: JSON.stringify(convertToAnthropicRequest(context, body)) };
    },
    parseResponse: parseAnthropicResponse,
    createStreamMapper: createAnthropicStreamMapper,
    mapError: mapAnthropicError,
  };
}
