import { type ErrorCode, errorSpec, GatewayError, type Logger, openAiErrorBody } from '@sluice/common';
import { errorBodyFor } from '../proxy/inbound-wire.js';
import type { FastifyError, FastifyInstance } from 'fastify';
import { FORBIDDEN_FIELDS } from '../openai/request-schemas.js';

interface ValidationIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params?: Record<string, unknown>;
}

const forbidden = new Set<string>(FORBIDDEN_FIELDS);

/** A validation failure as a client-readable sentence and the offending parameter. */
function describeValidation(issues: ValidationIssue[]): { message: string; param: string | null } {
  const issue = issues[0]!;
  const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
  if (issue.keyword === 'required') {
    const missing = String(issue.params?.missingProperty ?? '');
    const param = path ? `${path}.${missing}` : missing;
    return { message: `Missing required parameter: '${param}'.`, param };
  }
  if (issue.keyword === 'additionalProperties') {
    const extra = String(issue.params?.additionalProperty ?? '');
    const param = path ? `${path}.${extra}` : extra;
    return { message: `Unknown parameter: '${param}'.`, param };
  }
  if (issue.keyword === 'not' && forbidden.has(path)) {
    return { message: `'${path}' cannot be set by a client; endpoints and credentials come from the gateway's configuration.`, param: path };
  }
  return { message: `Invalid value for '${path || 'body'}': ${issue.message ?? 'not allowed'}.`, param: path || null };
}

/** Maps anything thrown in a route to the error table's status and the route's error body (OpenAI's unless it is Anthropic's route); never a stack. */
export function errorHandler(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((error: FastifyError | GatewayError, request, reply) => {
    let code: ErrorCode;
    let message: string | undefined;
    let param: string | null = null;
    if (error instanceof GatewayError) {
      code = error.code;
      message = error.message;
      param = error.details.param ?? null;
      if (error.details.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.details.retryAfterSeconds));
    } else if (error.validation) {
      code = 'invalid_request';
      ({ message, param } = describeValidation(error.validation as ValidationIssue[]));
    } else if (error.statusCode === 413 || error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      code = 'body_too_large';
    } else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      code = 'invalid_json';
    } else if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      code = 'invalid_request';
    } else {
      code = 'internal_error';
      logger.error({ err: error, requestId: request.id }, 'unhandled error');
    }
    request.errorCode = code;
    reply.code(errorSpec(code).http).type('application/json').send(errorBodyFor(request.routeOptions.config?.errorFormat, code, message, param));
  });
  app.setNotFoundHandler((request, reply) => {
    request.errorCode = 'not_found';
    reply.code(404).send(openAiErrorBody('not_found', `Unknown route: ${request.method} ${request.url.split('?')[0]}`));
  });
}
