import { ATTRIBUTES, type Logger, OPERATION_NAMES, type Span, SpanStatusCode } from '@sluice/common';
import type { Identity, Start } from '@sluice/proto';
import type { FastifyRequest } from 'fastify';
import type { EdgeMetrics } from './edge-metrics.js';

/** What the edge knows about a request once it is over. */
export interface RequestOutcome {
  route: string;
  /** The model group the request was routed to (or asked for), as the client and policy named it. */
  modelGroup: string;
  status: number;
  /** A code from the error table, or '' on success (client_closed when the client went away). */
  errorCode: string;
  identity: Identity | undefined;
  /** Set when a provider answered. */
  start?: Start | undefined;
  callType?: string;
  stream?: boolean;
  promptTokens?: number;
  completionTokens?: number;
  costMicros?: number;
  finishReason?: string;
  /** Milliseconds from arrival to the first content sent, 0 when none was. */
  timeToFirstTokenMs?: number;
  overheadMs: number;
  durationMs: number;
  /** Only with message logging on: the prompt and (non-streaming) response, as JSON. */
  inputMessages?: string;
  outputMessages?: string;
}

export interface RequestObserver {
  metrics: EdgeMetrics;
  logger: Logger;
}

/**
 * The end of a request, once: its metrics, its span, and its one log line (request id, trace id, key
 * alias, model, status, tokens, overhead; never the key, and never message contents unless message
 * logging is on, in which case they go to the span only).
 */
export function observeRequest(observer: RequestObserver, request: FastifyRequest, outcome: RequestOutcome): void {
  const { metrics, logger } = observer;
  const modelLabel = metrics.modelGroupLabel(outcome.modelGroup);
  metrics.request(outcome.route, modelLabel, outcome.status, outcome.errorCode, outcome.durationMs / 1000);
  metrics.overheadSeconds(outcome.route, outcome.overheadMs / 1000);
  if (outcome.timeToFirstTokenMs) metrics.firstToken(modelLabel, outcome.timeToFirstTokenMs / 1000);
  const identity = outcome.identity;
  if (outcome.promptTokens || outcome.completionTokens || outcome.costMicros) {
    metrics.usage(
      { modelGroup: modelLabel, keyAlias: identity?.keyAlias ?? '', team: identity?.teamId ?? '', teamAlias: identity?.teamAlias ?? '' },
      outcome.promptTokens ?? 0,
      outcome.completionTokens ?? 0,
      outcome.costMicros ?? 0,
    );
  }
  const span = request.span;
  if (span) endRequestSpan(span, outcome);
  logger.info(
    {
      requestId: request.id,
      traceId: request.traceId || undefined,
      route: outcome.route,
      keyAlias: identity?.keyAlias || undefined,
      team: identity?.teamId || undefined,
      model: outcome.modelGroup || undefined,
      deployment: outcome.start?.deploymentId,
      stream: outcome.stream,
      status: outcome.status,
      errorCode: outcome.errorCode || undefined,
      promptTokens: outcome.promptTokens,
      completionTokens: outcome.completionTokens,
      overheadMs: Number(outcome.overheadMs.toFixed(3)),
      durationMs: Math.round(outcome.durationMs),
    },
    'request',
  );
}

function endRequestSpan(span: Span, outcome: RequestOutcome): void {
  span.setAttribute(ATTRIBUTES.httpStatus, outcome.status);
  span.setAttribute(ATTRIBUTES.overheadMs, outcome.overheadMs);
  if (outcome.modelGroup) span.setAttribute(ATTRIBUTES.requestModel, outcome.modelGroup);
  if (outcome.callType) span.setAttribute(ATTRIBUTES.operationName, OPERATION_NAMES[outcome.callType] ?? outcome.callType);
  if (outcome.stream !== undefined) span.setAttribute(ATTRIBUTES.stream, outcome.stream);
  const identity = outcome.identity;
  if (identity?.keyAlias) span.setAttribute(ATTRIBUTES.keyAlias, identity.keyAlias);
  if (identity?.teamId) span.setAttribute(ATTRIBUTES.teamId, identity.teamId);
  const start = outcome.start;
  if (start) {
    span.setAttribute(ATTRIBUTES.responseModel, start.model);
    span.setAttribute(ATTRIBUTES.providerName, start.provider);
    span.setAttribute(ATTRIBUTES.system, start.provider);
    span.setAttribute(ATTRIBUTES.deployment, start.deploymentId);
    if (start.cacheHit) span.setAttribute(ATTRIBUTES.cacheHit, true);
  }
  if (outcome.promptTokens !== undefined) span.setAttribute(ATTRIBUTES.inputTokens, outcome.promptTokens);
  if (outcome.completionTokens !== undefined) span.setAttribute(ATTRIBUTES.outputTokens, outcome.completionTokens);
  if (outcome.costMicros) span.setAttribute(ATTRIBUTES.costMicros, outcome.costMicros);
  if (outcome.finishReason) span.setAttribute(ATTRIBUTES.finishReasons, [outcome.finishReason]);
  if (outcome.timeToFirstTokenMs) span.setAttribute(ATTRIBUTES.timeToFirstTokenMs, outcome.timeToFirstTokenMs);
  if (outcome.inputMessages !== undefined) span.setAttribute(ATTRIBUTES.inputMessages, outcome.inputMessages);
  if (outcome.outputMessages !== undefined) span.setAttribute(ATTRIBUTES.outputMessages, outcome.outputMessages);
  if (outcome.errorCode) {
    span.setAttribute(ATTRIBUTES.errorType, outcome.errorCode);
    // A client's own mistake or a denial (4xx) is not the gateway's error; it still carries its code.
    // A stream cut after its 200 is one.
    if (outcome.status >= 500 || outcome.status < 400 || outcome.errorCode === 'client_closed') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.errorCode });
  }
  span.end();
}
