import { GatewayError } from '@sluice/common';
import type { UpstreamFailure } from '../provider-adapter.js';
import { type Headers, parseJsonOrUndefined, upstreamFailure } from '../shared/upstream-failure.js';

interface GoogleErrorBody {
  error?: { code?: number; message?: string; status?: string; details?: Array<{ '@type'?: string; retryDelay?: string }> };
}

/** google.rpc.RetryInfo's retryDelay ("34.4s") in milliseconds. */
function retryDelayMs(body: GoogleErrorBody | undefined): number | undefined {
  const info = body?.error?.details?.find((detail) => detail['@type']?.endsWith('google.rpc.RetryInfo'));
  const match = info?.retryDelay ? /^(\d+(?:\.\d+)?)s$/.exec(info.retryDelay) : null;
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}

/** A Google API error (Gemini, Vertex AI) → our error; a 429 carries RetryInfo as its retry delay. */
export function mapGeminiError(status: number, raw: Buffer, headers: Headers): UpstreamFailure {
  const body = parseJsonOrUndefined<GoogleErrorBody>(raw);
  return upstreamFailure(status, body?.error?.status ?? '', body?.error?.message, headers, retryDelayMs(body));
}

export function geminiStreamError(data: string): GatewayError {
  const body = parseJsonOrUndefined<GoogleErrorBody>(Buffer.from(data));
  const failure = upstreamFailure(body?.error?.code ?? 500, body?.error?.status ?? '', body?.error?.message, {});
  return new GatewayError(failure.code, failure.message);
}
