import { Metadata, type ServiceError, status as GrpcStatus } from '@grpc/grpc-js';
import { type ErrorCode, errorSpec, isErrorCode } from '../errors/error-table.js';
import { GatewayError } from '../errors/gateway-error.js';

// Our error code travels in the trailers next to the gRPC status, so the edge can answer with the exact
// HTTP status and message without guessing from the gRPC code.
const CODE_KEY = 'sluice-error-code';
const RETRY_AFTER_KEY = 'sluice-retry-after';

export interface GrpcErrorPayload {
  code: GrpcStatus;
  details: string;
  metadata: Metadata;
}

export function toGrpcError(error: unknown): GrpcErrorPayload {
  const gateway = error instanceof GatewayError ? error : new GatewayError('internal_error');
  const metadata = new Metadata();
  metadata.set(CODE_KEY, gateway.code);
  if (gateway.details.retryAfterSeconds !== undefined) {
    metadata.set(RETRY_AFTER_KEY, String(gateway.details.retryAfterSeconds));
  }
  return { code: errorSpec(gateway.code).grpc, details: gateway.message, metadata };
}

/**
 * Turns a failed call into a GatewayError. `unavailable` names the code to use when the service could
 * not be reached at all (no code of ours in the trailers).
 */
export function fromGrpcError(error: ServiceError, unavailable: ErrorCode): GatewayError {
  const code = error.metadata?.get(CODE_KEY)[0];
  if (typeof code === 'string' && isErrorCode(code)) {
    const retryAfter = Number(error.metadata.get(RETRY_AFTER_KEY)[0]);
    return new GatewayError(code, error.details || undefined, Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {});
  }
  if (error.code === GrpcStatus.DEADLINE_EXCEEDED) return new GatewayError(unavailable, 'The gateway timed out waiting for one of its services.');
  return new GatewayError(unavailable);
}
