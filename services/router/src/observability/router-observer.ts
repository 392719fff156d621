import { performance } from 'node:perf_hooks';
import {
  ATTRIBUTES,
  backendCallMetrics,
  contextFromTraceparent,
  contextWithSpan,
  type Counter,
  type CounterSeries,
  type Histogram,
  type HistogramSeries,
  LATENCY_BUCKETS,
  MetricRegistry,
  OPERATION_NAMES,
  registerProcessMetrics,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TimedCall,
  type Tracer,
  traceparentOf,
} from '@sluice/common';
import { CallType, type CompletePart, type CompleteRequest } from '@sluice/proto';
import type { Deployment } from '../providers/provider-adapter.js';
import { errorCodeOf } from '../routing/retry-policy.js';
import type { AttemptResult } from '../routing/run-attempt.js';

// What the router reports about its calls: per-deployment outcomes, latency, retries, fallbacks and
// cooldowns as metrics, and, with tracing on, a `Complete` span per request with one child span per
// upstream attempt (retries and fallbacks are siblings). Nothing here runs per chunk: an attempt is
// seen when it starts, when its first token arrives, and when it ends.

const OPERATION_OF_CALL_TYPE: Record<number, string> = {
  [CallType.CALL_TYPE_CHAT_COMPLETION]: OPERATION_NAMES.chat_completion!,
  [CallType.CALL_TYPE_COMPLETION]: OPERATION_NAMES.completion!,
  [CallType.CALL_TYPE_EMBEDDING]: OPERATION_NAMES.embedding!,
};

/** One request's Complete span (only with tracing on). */
export interface CallObservation {
  span: Span;
  request: CompleteRequest;
}

/** One upstream attempt, from its start to its end. */
export interface AttemptObservation {
  /** The attempt's first part reached the edge: time to first token (or to the whole answer). */
  firstToken(): void;
  /** It failed before anything reached the client (it may be retried or fall back). */
  failed(error: unknown): void;
  /** It is over, however it went (call once, in a finally). */
  end(result: AttemptResult): void;
  /** The attempt span's traceparent, for the upstream call; undefined with tracing off. */
  readonly traceparent: string | undefined;
}

interface DeploymentSeries {
  labels: readonly [string, string, string];
  success: CounterSeries;
  latency: HistogramSeries;
}

/** One attempt's observation: an object per attempt rather than three closures. */
class ObservedAttempt implements AttemptObservation {
  private readonly started = performance.now();
  private failure: unknown = undefined;
  private firstTokenMs = 0;

  constructor(
    private readonly observer: RouterObserver,
    private readonly series: DeploymentSeries,
    private readonly call: CallObservation | undefined,
    private readonly deployment: Deployment,
    private readonly span: Span | undefined,
  ) {}

  firstToken(): void {
    this.firstTokenMs = performance.now() - this.started;
    this.span?.setAttribute(ATTRIBUTES.timeToFirstTokenMs, this.firstTokenMs);
  }

  failed(error: unknown): void {
    this.failure = error;
  }

  get traceparent(): string | undefined {
    return this.span ? traceparentOf(this.span) : undefined;
  }

  end(result: AttemptResult): void {
    const { span, deployment } = this;
    const call = this.call;
    const value = result.value;
    let outcome: string;
    if (this.failure !== undefined) outcome = errorCodeOf(this.failure);
    else if (result.midStreamError) outcome = result.midStreamError;
    else if (value) outcome = 'success';
    else outcome = 'cancelled';
    this.observer.counted(this.series, outcome);
    if (value) this.series.latency.observe(value.latencyMs / 1000);
    else if (this.firstTokenMs > 0) this.series.latency.observe(this.firstTokenMs / 1000);
    if (!span) return;
    if (value) {
      span.setAttribute(ATTRIBUTES.inputTokens, value.usage.promptTokens);
      span.setAttribute(ATTRIBUTES.outputTokens, value.usage.completionTokens);
      call!.span.setAttribute(ATTRIBUTES.inputTokens, value.usage.promptTokens);
      call!.span.setAttribute(ATTRIBUTES.outputTokens, value.usage.completionTokens);
      call!.span.setAttribute(ATTRIBUTES.responseModel, deployment.model);
      call!.span.setAttribute(ATTRIBUTES.providerName, deployment.provider);
      call!.span.setAttribute(ATTRIBUTES.deployment, deployment.id);
    }
    if (result.finishReason) {
      span.setAttribute(ATTRIBUTES.finishReasons, [result.finishReason]);
      call!.span.setAttribute(ATTRIBUTES.finishReasons, [result.finishReason]);
    }
    span.setAttribute('sluice.outcome', outcome);
    if (outcome !== 'success') {
      span.setAttribute(ATTRIBUTES.errorType, outcome);
      if (outcome !== 'cancelled') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
    }
    span.end();
  }
}

export class RouterObserver {
  readonly registry = new MetricRegistry();
  readonly redis: TimedCall;
  private readonly attempts: Counter;
  private readonly latency: Histogram;
  private readonly retries: Counter;
  private readonly fallbacks: Counter;
  private readonly cooldowns: Counter;
  private readonly limited: Counter;
  private readonly series = new WeakMap<Deployment, DeploymentSeries>();
  /** The running config's deployments (a reload replaces them: track). */
  private deployments: readonly Deployment[];

  constructor(
    private readonly tracer: Tracer | undefined,
    options: { deployments: readonly Deployment[]; coolingDown(deploymentId: string): boolean },
  ) {
    const registry = this.registry;
    this.deployments = options.deployments;
    const deploymentLabels = ['model_group', 'deployment', 'provider'] as const;
    this.attempts = registry.counter(
      'sluice_deployment_attempts_total',
      'Upstream attempts by deployment and outcome: success, or the error code of the failure.',
      [...deploymentLabels, 'outcome'],
    );
    this.latency = registry.histogram(
      'sluice_deployment_latency_seconds',
      'Time from sending an attempt to its first token (streams) or its whole answer, in seconds.',
      [...deploymentLabels],
      LATENCY_BUCKETS,
    );
    this.retries = registry.counter('sluice_retries_total', 'Attempts after the first within a model group.', ['model_group']);
    this.fallbacks = registry.counter('sluice_fallbacks_total', 'Requests moved on to a fallback model group.', ['from_model_group', 'to_model_group']);
    this.cooldowns = registry.counter('sluice_deployment_cooldowns_total', 'Times a deployment started cooling down.', [...deploymentLabels]);
    this.limited = registry.counter(
      'sluice_deployment_limited_total',
      'Times a deployment was skipped at its rpm, tpm or max_parallel_requests limit.',
      [...deploymentLabels, 'limit'],
    );
    registry.sampled('sluice_deployment_cooling_down', '1 while a deployment is cooling down (gets no traffic), else 0.', 'gauge', [...deploymentLabels], () =>
      this.deployments.map((deployment) => [[deployment.modelGroup, deployment.id, deployment.provider], options.coolingDown(deployment.id) ? 1 : 0] as const),
    );
    this.redis = backendCallMetrics(registry, 'redis');
    registerProcessMetrics(registry);
  }

  track(deployments: readonly Deployment[]): void {
    this.deployments = deployments;
  }

  /** A Complete call starts; its span when tracing is on. */
  call(request: CompleteRequest): CallObservation | undefined {
    if (!this.tracer) return undefined;
    const span = this.tracer.startSpan(
      'Complete',
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTRIBUTES.requestId]: request.requestId,
          [ATTRIBUTES.modelGroup]: request.modelGroup,
          [ATTRIBUTES.requestModel]: request.modelGroup,
          [ATTRIBUTES.operationName]: OPERATION_OF_CALL_TYPE[request.callType] ?? 'chat',
          [ATTRIBUTES.stream]: request.stream,
        },
      },
      contextFromTraceparent(request.traceparent),
    );
    return { span, request };
  }

  /** Wraps a traced call's parts to end its span when they end. */
  async *observe(parts: AsyncIterable<CompletePart>, call: CallObservation): AsyncGenerator<CompletePart> {
    try {
      yield* parts;
    } catch (error) {
      call.span.setAttribute(ATTRIBUTES.errorType, errorCodeOf(error));
      call.span.setStatus({ code: SpanStatusCode.ERROR, message: errorCodeOf(error) });
      throw error;
    } finally {
      call.span.end();
    }
  }

  attempt(call: CallObservation | undefined, deployment: Deployment, attempt: number): AttemptObservation {
    const span = call ? this.attemptSpan(call, deployment, attempt) : undefined;
    return new ObservedAttempt(this, this.seriesOf(deployment), call, deployment, span);
  }

  /** A deployment's success and latency series, looked up once (every attempt updates them). */
  private seriesOf(deployment: Deployment): DeploymentSeries {
    let series = this.series.get(deployment);
    if (!series) {
      const labels = [deployment.modelGroup, deployment.id, deployment.provider] as const;
      series = { labels, success: this.attempts.labels(...labels, 'success'), latency: this.latency.labels(...labels) };
      this.series.set(deployment, series);
    }
    return series;
  }

  /** Counts an attempt's outcome. */
  counted(series: DeploymentSeries, outcome: string): void {
    if (outcome === 'success') series.success.inc();
    else this.attempts.labels(...series.labels, outcome).inc();
  }

  private attemptSpan(call: CallObservation, deployment: Deployment, attempt: number): Span {
    const operation = OPERATION_OF_CALL_TYPE[call.request.callType] ?? 'chat';
    let host = '';
    try {
      host = new URL(deployment.apiBase).host;
    } catch {
      // A deployment without a usable base URL fails on its own; the span just lacks the address.
    }
    return this.tracer!.startSpan(
      `${operation} ${deployment.model}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTRIBUTES.operationName]: operation,
          [ATTRIBUTES.providerName]: deployment.provider,
          [ATTRIBUTES.system]: deployment.provider,
          [ATTRIBUTES.requestModel]: deployment.model,
          [ATTRIBUTES.serverAddress]: host,
          [ATTRIBUTES.deployment]: deployment.id,
          [ATTRIBUTES.modelGroup]: deployment.modelGroup,
          [ATTRIBUTES.attempt]: attempt,
          [ATTRIBUTES.fallback]: deployment.modelGroup !== call.request.modelGroup,
        },
      },
      contextWithSpan(call.span),
    );
  }

  retry(modelGroup: string): void {
    this.retries.labels(modelGroup).inc();
  }

  fallback(from: string, to: string): void {
    this.fallbacks.labels(from, to).inc();
  }

  cooledDown(deployment: Deployment): void {
    this.cooldowns.labels(deployment.modelGroup, deployment.id, deployment.provider).inc();
  }

  /** A deployment at one of its limits was skipped (limit: rpm, tpm or parallel). */
  atLimit(deployment: Deployment, limit: string): void {
    this.limited.labels(deployment.modelGroup, deployment.id, deployment.provider, limit).inc();
  }
}
