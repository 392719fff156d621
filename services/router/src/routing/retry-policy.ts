import { type ErrorCode, GatewayError } from '@sluice/common';

// Which failures are worth another attempt, which cool a deployment down, and which send the request
// on to a fallback model group.

/** The request itself is wrong: another attempt (or model) would fail the same way. */
const REQUEST_ERRORS = new Set<ErrorCode>(['invalid_json', 'invalid_request', 'unsupported_parameter', 'upstream_bad_request', 'model_not_found']);

/** No retry on 400/401/403 or context-length / content-policy errors. */
const NOT_RETRIED = new Set<ErrorCode>([...REQUEST_ERRORS, 'context_window_exceeded', 'content_policy_violation', 'upstream_auth_error', 'internal_error']);

/** Failures that say something about the deployment rather than the request. */
const DEPLOYMENT_FAILURES = new Set<ErrorCode>([
  'upstream_error',
  'upstream_rate_limited',
  'upstream_timeout',
  'upstream_connection_error',
  'upstream_auth_error',
  'upstream_stream_error',
]);

export function errorCodeOf(error: unknown): ErrorCode {
  return error instanceof GatewayError ? error.code : 'internal_error';
}

export function isRetryable(code: ErrorCode): boolean {
  return !NOT_RETRIED.has(code);
}

export function countsAgainstDeployment(code: ErrorCode): boolean {
  return DEPLOYMENT_FAILURES.has(code);
}

export type FallbackKind = 'context_window' | 'content_policy' | 'general' | 'none';

export function fallbackKind(code: ErrorCode): FallbackKind {
  if (code === 'context_window_exceeded') return 'context_window';
  if (code === 'content_policy_violation') return 'content_policy';
  if (REQUEST_ERRORS.has(code) || code === 'internal_error') return 'none';
  return 'general';
}

/** Full jitter (AWS's "Exponential Backoff and Jitter"): uniform in [0, min(max, base · 2^retry)). */
export function backoffMs(retry: number, baseMs: number, maxMs: number, random: () => number): number {
  return random() * Math.min(maxMs, baseMs * 2 ** Math.max(0, retry - 1));
}
