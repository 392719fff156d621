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

/**
 * LiteLLM's exception classes, as router_settings.retry_policy (`<Class>Retries`) and
 * allowed_fails_policy (`<Class>AllowedFails`) name them. The more specific class wins: a content-policy
 * refusal is a ContentPolicyViolationError, not a BadRequestError.
 */
export const ERROR_CLASSES = ['BadRequestError', 'AuthenticationError', 'TimeoutError', 'RateLimitError', 'ContentPolicyViolationError', 'InternalServerError'] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

const CLASS_OF_CODE: Partial<Record<ErrorCode, ErrorClass>> = {
  upstream_bad_request: 'BadRequestError',
  unsupported_parameter: 'BadRequestError',
  invalid_request: 'BadRequestError',
  context_window_exceeded: 'BadRequestError',
  upstream_auth_error: 'AuthenticationError',
  upstream_timeout: 'TimeoutError',
  upstream_rate_limited: 'RateLimitError',
  content_policy_violation: 'ContentPolicyViolationError',
  upstream_error: 'InternalServerError',
  upstream_stream_error: 'InternalServerError',
};

export function errorClassOf(code: ErrorCode): ErrorClass | undefined {
  return CLASS_OF_CODE[code];
}

/** A count per error class (retries, or allowed fails); a class not listed keeps the general setting. */
export type PerErrorClass = Partial<Record<ErrorClass, number>>;

/** Reads LiteLLM's `{BadRequestErrorRetries: 0, ...}` (suffix "Retries") or `{...AllowedFails: 3}` shape. */
export function readPerErrorClass(policy: Record<string, unknown> | undefined, suffix: 'Retries' | 'AllowedFails'): PerErrorClass | undefined {
  if (!policy) return undefined;
  const counts: PerErrorClass = {};
  for (const name of ERROR_CLASSES) {
    const value = policy[`${name}${suffix}`];
    if (typeof value === 'number' && Number.isFinite(value)) counts[name] = Math.max(0, Math.floor(value));
  }
  return counts;
}

/**
 * How many retries a model group gets after a failure with `code`: the retry policy's count for its error
 * class when it has one (a count above 0 retries even a 400, as in LiteLLM), else num_retries for the
 * errors worth another attempt and none for the others.
 */
export function retriesFor(code: ErrorCode, numRetries: number, policy: PerErrorClass | undefined): number {
  const errorClass = errorClassOf(code);
  const counted = errorClass !== undefined ? policy?.[errorClass] : undefined;
  if (counted !== undefined) return counted;
  return isRetryable(code) ? numRetries : 0;
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
