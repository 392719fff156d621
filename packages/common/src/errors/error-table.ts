// Every error a client can receive, in one table: its HTTP status, the gRPC status it travels as
// between services, whether a client (or the router) may retry it, and the OpenAI error `type`.
// docs/errors.md is checked against this table by a test.
import { status as GrpcStatus } from '@grpc/grpc-js';

export interface ErrorSpec {
  http: number;
  grpc: GrpcStatus;
  retryable: boolean;
  /** OpenAI's `error.type`. */
  type: string;
  /** What a client sees when no more specific message is given. */
  message: string;
}

export const ERROR_TABLE = {
  invalid_json: {
    http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, retryable: false, type: 'invalid_request_error',
    message: 'The request body is not valid JSON.',
  },
  invalid_request: {
    http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, retryable: false, type: 'invalid_request_error',
    message: 'The request body does not match the expected schema.',
  },
  unsupported_parameter: {
    http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, retryable: false, type: 'invalid_request_error',
    message: 'A parameter is not supported by this model; set drop_params to drop it.',
  },
  context_window_exceeded: {
    http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, retryable: false, type: 'invalid_request_error',
    message: "The request exceeds the model's context window.",
  },
  content_policy_violation: {
    http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, retryable: false, type: 'invalid_request_error',
    message: "The request was rejected by the provider's content policy.",
  },
  upstream_bad_request: {
    http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, retryable: false, type: 'invalid_request_error',
    message: 'The provider rejected the request.',
  },
  budget_exceeded: {
    http: 400, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: false, type: 'budget_exceeded',
    message: 'Budget exceeded.',
  },
  model_unpriced: {
    http: 400, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: false, type: 'invalid_request_error',
    message: 'This model has no price, so its cost cannot be counted against your budget.',
  },
  missing_api_key: {
    http: 401, grpc: GrpcStatus.UNAUTHENTICATED, retryable: false, type: 'authentication_error',
    message: 'No API key provided. Send it as "Authorization: Bearer sk-...".',
  },
  invalid_api_key: {
    http: 401, grpc: GrpcStatus.UNAUTHENTICATED, retryable: false, type: 'authentication_error',
    message: 'Invalid API key.',
  },
  key_blocked: {
    http: 401, grpc: GrpcStatus.UNAUTHENTICATED, retryable: false, type: 'authentication_error',
    message: 'This key is blocked.',
  },
  key_expired: {
    http: 401, grpc: GrpcStatus.UNAUTHENTICATED, retryable: false, type: 'authentication_error',
    message: 'This key has expired.',
  },
  model_not_allowed: {
    http: 403, grpc: GrpcStatus.PERMISSION_DENIED, retryable: false, type: 'permission_error',
    message: 'This key is not allowed to use this model.',
  },
  admin_only: {
    http: 403, grpc: GrpcStatus.PERMISSION_DENIED, retryable: false, type: 'permission_error',
    message: 'This route needs the master key or an admin key.',
  },
  team_blocked: {
    http: 403, grpc: GrpcStatus.PERMISSION_DENIED, retryable: false, type: 'permission_error',
    message: "This key's team is blocked.",
  },
  user_blocked: {
    http: 403, grpc: GrpcStatus.PERMISSION_DENIED, retryable: false, type: 'permission_error',
    message: "This key's user is blocked.",
  },
  organization_blocked: {
    http: 403, grpc: GrpcStatus.PERMISSION_DENIED, retryable: false, type: 'permission_error',
    message: "This key's organization is blocked.",
  },
  route_not_allowed: {
    http: 403, grpc: GrpcStatus.PERMISSION_DENIED, retryable: false, type: 'permission_error',
    message: 'This key is not allowed to call this route.',
  },
  cache_control_not_allowed: {
    http: 403, grpc: GrpcStatus.PERMISSION_DENIED, retryable: false, type: 'permission_error',
    message: 'This key is not allowed to use this cache control.',
  },
  key_management_disabled: {
    http: 403, grpc: GrpcStatus.PERMISSION_DENIED, retryable: false, type: 'permission_error',
    message: 'Key management is disabled on this gateway (general_settings.disable_key_management): keys, teams, users, organisations, budgets and customers cannot be created, changed or deleted.',
  },
  model_not_found: {
    http: 404, grpc: GrpcStatus.NOT_FOUND, retryable: false, type: 'invalid_request_error',
    message: 'The model does not exist or is not configured.',
  },
  not_found: {
    http: 404, grpc: GrpcStatus.NOT_FOUND, retryable: false, type: 'invalid_request_error',
    message: 'Not found.',
  },
  method_not_allowed: {
    http: 405, grpc: GrpcStatus.UNIMPLEMENTED, retryable: false, type: 'invalid_request_error',
    message: 'Method not allowed.',
  },
  request_timeout: {
    http: 408, grpc: GrpcStatus.DEADLINE_EXCEEDED, retryable: true, type: 'invalid_request_error',
    message: 'The request was not received in time.',
  },
  already_exists: {
    http: 409, grpc: GrpcStatus.ALREADY_EXISTS, retryable: false, type: 'invalid_request_error',
    message: 'An object with this id or alias already exists.',
  },
  body_too_large: {
    http: 413, grpc: GrpcStatus.INVALID_ARGUMENT, retryable: false, type: 'invalid_request_error',
    message: 'The request body is too large.',
  },
  unsupported_media_type: {
    http: 415, grpc: GrpcStatus.INVALID_ARGUMENT, retryable: false, type: 'invalid_request_error',
    message: 'Send the request body as application/json.',
  },
  headers_too_large: {
    http: 431, grpc: GrpcStatus.INVALID_ARGUMENT, retryable: false, type: 'invalid_request_error',
    message: 'The request headers are too large.',
  },
  rate_limit_requests: {
    http: 429, grpc: GrpcStatus.RESOURCE_EXHAUSTED, retryable: true, type: 'rate_limit_error',
    message: 'Rate limit reached for requests.',
  },
  rate_limit_tokens: {
    http: 429, grpc: GrpcStatus.RESOURCE_EXHAUSTED, retryable: true, type: 'rate_limit_error',
    message: 'Rate limit reached for tokens.',
  },
  parallel_request_limit: {
    http: 429, grpc: GrpcStatus.RESOURCE_EXHAUSTED, retryable: true, type: 'rate_limit_error',
    message: 'Too many requests in flight for this key.',
  },
  upstream_rate_limited: {
    http: 429, grpc: GrpcStatus.RESOURCE_EXHAUSTED, retryable: true, type: 'rate_limit_error',
    message: 'The provider is rate limiting this model; retry later.',
  },
  deployment_limits_reached: {
    http: 429, grpc: GrpcStatus.RESOURCE_EXHAUSTED, retryable: true, type: 'rate_limit_error',
    message: 'No deployments available for selected model: every deployment is at its rpm, tpm or max_parallel_requests limit; try again shortly.',
  },
  internal_error: {
    http: 500, grpc: GrpcStatus.INTERNAL, retryable: true, type: 'server_error',
    message: 'Internal error.',
  },
  upstream_error: {
    http: 502, grpc: GrpcStatus.UNAVAILABLE, retryable: true, type: 'server_error',
    message: 'The provider returned an error.',
  },
  upstream_auth_error: {
    http: 502, grpc: GrpcStatus.UNAVAILABLE, retryable: false, type: 'server_error',
    message: "The provider rejected the gateway's credentials for this model.",
  },
  upstream_connection_error: {
    http: 502, grpc: GrpcStatus.UNAVAILABLE, retryable: true, type: 'server_error',
    message: 'Could not connect to the provider.',
  },
  upstream_stream_error: {
    http: 502, grpc: GrpcStatus.UNAVAILABLE, retryable: false, type: 'server_error',
    message: 'The provider stream failed after it started.',
  },
  no_deployment_available: {
    http: 503, grpc: GrpcStatus.UNAVAILABLE, retryable: true, type: 'server_error',
    message: 'No healthy deployment is available for this model; try again shortly.',
  },
  policy_unavailable: {
    http: 503, grpc: GrpcStatus.UNAVAILABLE, retryable: true, type: 'server_error',
    message: 'The gateway cannot check this request right now; try again shortly.',
  },
  limits_unavailable: {
    http: 503, grpc: GrpcStatus.UNAVAILABLE, retryable: true, type: 'server_error',
    message: 'Budgets and rate limits cannot be checked right now; try again shortly.',
  },
  router_unavailable: {
    http: 503, grpc: GrpcStatus.UNAVAILABLE, retryable: true, type: 'server_error',
    message: 'The gateway cannot reach its router right now; try again shortly.',
  },
  service_unavailable: {
    http: 503, grpc: GrpcStatus.UNAVAILABLE, retryable: true, type: 'server_error',
    message: 'A gateway service is unavailable; try again shortly.',
  },
  shutting_down: {
    http: 503, grpc: GrpcStatus.UNAVAILABLE, retryable: true, type: 'server_error',
    message: 'The gateway is restarting; try again.',
  },
  upstream_timeout: {
    http: 504, grpc: GrpcStatus.DEADLINE_EXCEEDED, retryable: true, type: 'timeout_error',
    message: 'The provider did not answer in time.',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_TABLE;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_TABLE, value);
}

export function errorSpec(code: ErrorCode): ErrorSpec {
  return ERROR_TABLE[code];
}

/** The table code closest to an HTTP status that arrives without one of our codes (from Fastify or a provider). */
export function errorCodeForHttpStatus(status: number): ErrorCode {
  if (status === 400) return 'invalid_request';
  if (status === 401) return 'invalid_api_key';
  if (status === 403) return 'model_not_allowed';
  if (status === 404) return 'not_found';
  if (status === 408) return 'request_timeout';
  if (status === 413) return 'body_too_large';
  if (status === 415) return 'unsupported_media_type';
  if (status === 431) return 'headers_too_large';
  if (status === 429) return 'rate_limit_requests';
  if (status === 504) return 'upstream_timeout';
  if (status === 503) return 'service_unavailable';
  if (status >= 500) return 'upstream_error';
  return 'invalid_request';
}
