import { type ErrorCode, errorSpec } from './error-table.js';

// On Anthropic's Messages route errors take Anthropic's shape, so Anthropic's clients read them: the
// HTTP status stays the error table's, and the `type` is the one Anthropic uses for that status.
const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  502: 'api_error',
  503: 'overloaded_error',
  504: 'timeout_error',
};

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

/** Anthropic's error `type` for an error table code. */
export function anthropicErrorType(code: ErrorCode): string {
  const status = errorSpec(code).http;
  return TYPE_BY_STATUS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

/** `{"type":"error","error":{"type","message"}}`. */
export function anthropicErrorBody(code: ErrorCode, message?: string): AnthropicErrorBody {
  return { type: 'error', error: { type: anthropicErrorType(code), message: message ?? errorSpec(code).message } };
}
