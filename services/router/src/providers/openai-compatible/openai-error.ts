import type { ErrorCode } from '@sluice/common';
import type { UpstreamFailure } from '../provider-adapter.js';
import { parseRetryAfter } from '../shared/retry-after.js';

interface OpenAiErrorBody {
  error?: { message?: string; code?: string | null; type?: string };
}

function classify(status: number, code: string): ErrorCode {
  if (status === 400 && code === 'context_length_exceeded') return 'context_window_exceeded';
  if (status === 400 && (code === 'content_filter' || code === 'content_policy_violation')) return 'content_policy_violation';
  if (status === 400 || status === 422) return 'upstream_bad_request';
  if (status === 401 || status === 403) return 'upstream_auth_error';
  if (status === 408) return 'upstream_timeout';
  if (status === 429) return 'upstream_rate_limited';
  return 'upstream_error';
}

/**
 * An OpenAI-style error response → our error. The provider's message is kept for request errors (it
 * tells the client what to fix) and replaced for auth errors (it can quote part of our key).
 */
export function mapOpenAiError(
  status: number,
  raw: Buffer,
  headers: Record<string, string | string[] | undefined>,
): UpstreamFailure {
  let body: OpenAiErrorBody | undefined;
  try {
    body = JSON.parse(raw.toString('utf8')) as OpenAiErrorBody;
  } catch {
    body = undefined;
  }
  const code = classify(status, body?.error?.code ?? '');
  const providerMessage = body?.error?.message;
  const keepMessage = code === 'upstream_bad_request' || code === 'context_window_exceeded' || code === 'content_policy_violation';
  return {
    code,
    message: keepMessage && providerMessage ? providerMessage : `The provider answered ${status}.`,
    retryAfterMs: parseRetryAfter(headers),
  };
}
