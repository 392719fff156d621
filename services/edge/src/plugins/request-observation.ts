import { performance } from 'node:perf_hooks';
import { ATTRIBUTES, contextFromTraceparent, parseTraceparent, type Span, SpanKind, traceparentOf } from '@sluice/common';
import type { Decision } from '@sluice/proto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EdgeContext } from '../edge-context.js';
import { observeRequest } from '../observability/request-observer.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's server span; undefined when tracing is off. */
    span: Span | undefined;
    /** W3C traceparent for what this request causes downstream (policy, router, accounting); '' when none. */
    traceparent: string;
    /** For the log line: the trace this request belongs to, '' when there is none. */
    traceId: string;
    /** Policy's answer, once there is one (for the key alias and model group of the record). */
    decision: Decision | undefined;
    /** The error table code the response carries, set by the error handler. */
    errorCode: string;
    /** Already recorded (a proxied request records itself), or not worth recording (probes). */
    observed: boolean;
  }
}

// Probes would drown the request metrics and the log; they are neither traced nor counted. (Scrapes go to
// the side port, which never reaches this app.) Nor are the admin console's static files: the admin calls
// the console makes are.
const UNOBSERVED_ROUTES = new Set(['/health/liveliness', '/health/liveness', '/health/readiness', '/ui', '/ui/*']);

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Every request's span (a child of the client's traceparent when it sent one) and, for requests that
 * are not proxied (denials, errors before the router, /v1/models, admin routes), its record once the
 * response is sent. With tracing off an incoming traceparent is still passed on, so services that do
 * trace join the client's trace.
 */
export function requestObservation(app: FastifyInstance, context: EdgeContext): void {
  const { tracer } = context.observability;
  app.decorateRequest('span', undefined);
  app.decorateRequest('traceparent', '');
  app.decorateRequest('traceId', '');
  app.decorateRequest('decision', undefined);
  app.decorateRequest('errorCode', '');
  app.decorateRequest('observed', false);

  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    if (route !== undefined && UNOBSERVED_ROUTES.has(route)) {
      request.observed = true;
      done();
      return;
    }
    const incoming = header(request, 'traceparent');
    if (tracer) {
      const parent = contextFromTraceparent(incoming, incoming ? header(request, 'tracestate') : undefined);
      const span = tracer.startSpan(
        `${request.method} ${route ?? 'unmatched'}`,
        { kind: SpanKind.SERVER, attributes: { [ATTRIBUTES.httpMethod]: request.method, [ATTRIBUTES.httpRoute]: route ?? '', [ATTRIBUTES.requestId]: request.id } },
        parent,
      );
      request.span = span;
      request.traceparent = traceparentOf(span);
      request.traceId = span.spanContext().traceId;
    } else if (incoming) {
      const parsed = parseTraceparent(incoming);
      if (parsed) {
        request.traceparent = `00-${parsed.traceId}-${parsed.spanId}-0${parsed.traceFlags}`;
        request.traceId = parsed.traceId;
      }
    }
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    if (!request.observed) {
      request.observed = true;
      const elapsed = performance.now() - request.startedAt;
      const body = request.body as { model?: unknown } | undefined;
      const asked = body && typeof body.model === 'string' ? body.model : '';
      observeRequest(context.observability, request, {
        route: request.routeOptions.url ?? 'unmatched',
        modelGroup: request.decision?.modelGroup || asked,
        status: reply.statusCode,
        errorCode: request.errorCode,
        identity: request.decision?.identity,
        overheadMs: elapsed,
        durationMs: elapsed,
      });
    }
    done();
  });
}
