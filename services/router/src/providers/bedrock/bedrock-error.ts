import { GatewayError } from '@sluice/common';
import type { UpstreamFailure } from '../provider-adapter.js';
import { type Headers, parseJsonOrUndefined, upstreamFailure } from '../shared/upstream-failure.js';

// Exceptions Bedrock can send inside a ConverseStream, with the HTTP status they have as answers.
const STATUS_BY_EXCEPTION: Record<string, number> = {
  validationException: 400,
  accessDeniedException: 403,
  resourceNotFoundException: 404,
  modelTimeoutException: 408,
  throttlingException: 429,
  serviceQuotaExceededException: 429,
  modelStreamErrorException: 500,
  internalServerException: 500,
  serviceUnavailableException: 503,
};

export function mapBedrockError(status: number, raw: Buffer, headers: Headers): UpstreamFailure {
  const body = parseJsonOrUndefined<{ message?: string; Message?: string }>(raw);
  const type = headers['x-amzn-errortype'];
  return upstreamFailure(status, (Array.isArray(type) ? type[0] : type) ?? '', body?.message ?? body?.Message, headers);
}

/** An exception message in the event stream (decoded as `exception:<type>`) → the error to fail with. */
export function bedrockStreamError(event: string, data: string): GatewayError {
  const type = event.slice('exception:'.length);
  const body = parseJsonOrUndefined<{ message?: string }>(Buffer.from(data));
  const failure = upstreamFailure(STATUS_BY_EXCEPTION[type] ?? 500, type, body?.message, {});
  return new GatewayError(failure.code, failure.message);
}
