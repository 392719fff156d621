import type { ErrorCode } from '@sluice/common';
import type { UpstreamFailure } from '../provider-adapter.js';
import { parseRetryAfter } from './retry-after.js';

export type Headers = Record<string, string | string[] | undefined>;

const CONTEXT_WINDOW = /context[ _-]?(length|window)|prompt is too long|too many (input )?tokens|maximum context|input is too long|exceeds? the (maximum|model)/i;
const CONTENT_POLICY = /content[ _-]?(policy|filter|management)|safety|responsible ?ai|guardrail/i;

/** The error-table code for a provider's HTTP status, refined by what its message says. */
export function classifyUpstreamStatus(status: number, providerCode: string, providerMessage: string): ErrorCode {
  const text = `${providerCode} ${providerMessage}`;
  if (status === 400 || status === 413 || status === 422) {
    if (CONTEXT_WINDOW.test(text)) return 'context_window_exceeded';
    if (CONTENT_POLICY.test(text)) return 'content_policy_violation';
    return 'upstream_bad_request';
  }
  if (status === 401 || status === 403) return 'upstream_auth_error';
  if (status === 404) return 'upstream_bad_request';
  if (status === 408) return 'upstream_timeout';
  if (status === 429) return 'upstream_rate_limited';
  return 'upstream_error';
}

/**
 * The failure a client sees for a provider's error answer. The provider's message is kept for request
 * errors (it tells the client what to fix) and replaced otherwise (an auth error can quote part of our
 * key, a server error can say anything).
 */
export function upstreamFailure(status: number, providerCode: string, providerMessage: string | undefined, headers: Headers, retryAfterMs?: number): UpstreamFailure {
  const code = classifyUpstreamStatus(status, providerCode, providerMessage ?? '');
  const keepMessage = code === 'upstream_bad_request' || code === 'context_window_exceeded' || code === 'content_policy_violation';
  return {
    code,
    message: keepMessage && providerMessage ? providerMessage : `The provider answered ${status}.`,
    retryAfterMs: parseRetryAfter(headers) ?? retryAfterMs,
  };
}

export function parseJsonOrUndefined<T>(raw: Buffer): T | undefined {
  try {
    return JSON.parse(raw.toString('utf8')) as T;
  } catch {
    return undefined;
  }
}
