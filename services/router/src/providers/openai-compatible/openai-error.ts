import type { UpstreamFailure } from '../provider-adapter.js';
import { type Headers, parseJsonOrUndefined, upstreamFailure } from '../shared/upstream-failure.js';

interface OpenAiErrorBody {
  error?: { message?: string; code?: string | null; type?: string };
}

/** An OpenAI-style error response (OpenAI, Azure and every compatible server) → our error. */
export function mapOpenAiError(status: number, raw: Buffer, headers: Headers): UpstreamFailure {
  const body = parseJsonOrUndefined<OpenAiErrorBody>(raw);
  return upstreamFailure(status, `${body?.error?.code ?? ''} ${body?.error?.type ?? ''}`, body?.error?.message, headers);
}
