import { performance } from 'node:perf_hooks';
import { ATTRIBUTES, contextFromTraceparent, SpanKind, SpanStatusCode, type Tracer } from '@sluice/common';
import type { AuthorizeRequest, Decision } from '@sluice/proto';
import { decisionResult, type PolicyMetrics } from './policy-metrics.js';

type Authorize = (request: AuthorizeRequest) => Promise<Decision>;

/**
 * Every decision counted by result and timed; with tracing on, also an `Authorize` span under the
 * edge's request span (its traceparent travels in the request message). The key itself never goes on
 * a span or a label: only the alias policy resolved it to.
 */
export function tracedAuthorize(authorize: Authorize, metrics: PolicyMetrics, tracer: Tracer | undefined): Authorize {
  if (!tracer) {
    return (request) => {
      const started = performance.now();
      return authorize(request).then((decision) => {
        metrics.decision(decisionResult(decision), (performance.now() - started) / 1000);
        return decision;
      });
    };
  }
  return (request) => {
    const started = performance.now();
    const span = tracer.startSpan(
      'Authorize',
      {
        kind: SpanKind.SERVER,
        attributes: { [ATTRIBUTES.requestId]: request.requestId, [ATTRIBUTES.httpRoute]: request.route, [ATTRIBUTES.requestModel]: request.model },
      },
      contextFromTraceparent(request.traceparent),
    );
    return authorize(request).then(
      (decision) => {
        const result = decisionResult(decision);
        metrics.decision(result, (performance.now() - started) / 1000);
        span.setAttribute(ATTRIBUTES.decision, result);
        if (decision.modelGroup) span.setAttribute(ATTRIBUTES.modelGroup, decision.modelGroup);
        if (decision.identity?.keyAlias) span.setAttribute(ATTRIBUTES.keyAlias, decision.identity.keyAlias);
        if (decision.identity?.teamId) span.setAttribute(ATTRIBUTES.teamId, decision.identity.teamId);
        if (!decision.allowed) span.setAttribute(ATTRIBUTES.errorType, decision.errorCode);
        if (result === 'unavailable') span.setStatus({ code: SpanStatusCode.ERROR, message: decision.errorCode });
        span.end();
        return decision;
      },
      (error: unknown) => {
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
        throw error;
      },
    );
  };
}
