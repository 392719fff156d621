import { type ErrorCode, GatewayError } from '@sluice/common';

/** A failed attempt at one deployment, before anything reached the client: the router may retry it. */
export class AttemptError extends GatewayError {
  constructor(
    code: ErrorCode,
    message: string | undefined,
    /** The provider's Retry-After (or equivalent), milliseconds. */
    readonly retryAfterMs: number | undefined,
  ) {
    super(code, message, retryAfterMs !== undefined ? { retryAfterSeconds: Math.ceil(retryAfterMs / 1000) } : {});
  }
}

export function retryAfterOf(error: unknown): number | undefined {
  return error instanceof AttemptError ? error.retryAfterMs : undefined;
}
