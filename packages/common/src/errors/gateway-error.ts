import { type ErrorCode, errorSpec } from './error-table.js';

/** An error with a code from the error table; its message is safe to show to the client. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details: { param?: string | null; retryAfterSeconds?: number } = {},
  ) {
    super(message ?? errorSpec(code).message);
  }

  get httpStatus(): number {
    return errorSpec(this.code).http;
  }
}

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

/** The OpenAI error body: `{"error":{"message","type","param","code"}}`. */
export function openAiErrorBody(code: ErrorCode, message?: string, param: string | null = null): OpenAiErrorBody {
  const spec = errorSpec(code);
  return { error: { message: message ?? spec.message, type: spec.type, param, code } };
}
