import { GatewayError } from '@sluice/common';
import type { UpstreamFailure } from '../provider-adapter.js';
import { type Headers, parseJsonOrUndefined, upstreamFailure } from '../shared/upstream-failure.js';

interface AnthropicErrorBody {
  type?: string;
  error?: { type?: string; message?: string };
}

// Anthropic's error types for the statuses they travel with, so an error event inside a stream (which
// arrives after HTTP 200) is classified like the same error as an HTTP answer.
const STATUS_BY_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

export function mapAnthropicError(status: number, raw: Buffer, headers: Headers): UpstreamFailure {
  const body = parseJsonOrUndefined<AnthropicErrorBody>(raw);
  return upstreamFailure(status, body?.error?.type ?? '', body?.error?.message, headers);
}

/** An `error` event in a stream → the error to fail the stream with (retried if nothing was sent yet). */
export function anthropicStreamError(data: string): GatewayError {
  let body: AnthropicErrorBody | undefined;
  try {
    body = JSON.parse(data) as AnthropicErrorBody;
  } catch {
    body = undefined;
  }
  const type = body?.error?.type ?? 'api_error';
  const failure = upstreamFailure(STATUS_BY_TYPE[type] ?? 500, type, body?.error?.message, {});
  return new GatewayError(failure.code, failure.message);
}
