import {
  ATTRIBUTES,
  type Counter,
  contextFromTraceparent,
  type Histogram,
  LATENCY_BUCKETS,
  MetricRegistry,
  registerProcessMetrics,
  SpanKind,
  type Tracer,
  type UsageDelivery,
} from '@sluice/common';
import type { UsageEvent } from '@sluice/proto';

/** What the batch writer reports: how each batch went, and which events it committed. */
export interface LedgerObserver {
  batch(result: { inserted: number; duplicates: number; retried: number; deadLettered: number }, seconds: number): void;
  /** Events committed in one transaction that started at `startedAtMs`. */
  committed(events: ReadonlyArray<{ event: UsageEvent; deliveries: readonly UsageDelivery[] }>, startedAtMs: number): void;
}

/** Seconds from a request's end to its ledger commit. */
const AGE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600] as const;

export class AccountingMetrics implements LedgerObserver {
  readonly registry = new MetricRegistry();
  private readonly events: Counter;
  private readonly batchDuration: Histogram;
  private readonly age: Histogram;
  private readonly thresholds: Counter;

  constructor(
    private readonly tracer: Tracer | undefined,
    private readonly subject: string,
  ) {
    const registry = this.registry;
    this.events = registry.counter('sluice_ledger_events_total', 'Usage event deliveries by what the ledger did with them.', ['result']);
    for (const result of ['inserted', 'duplicate', 'retried', 'dead_lettered']) this.events.labels(result);
    this.batchDuration = registry.histogram('sluice_ledger_batch_duration_seconds', 'Time to write one batch of usage events, in seconds.', [], LATENCY_BUCKETS);
    this.age = registry.histogram(
      'sluice_ledger_event_age_seconds',
      "Time from a request's end to its usage reaching the ledger, in seconds (the ingest lag).",
      [],
      AGE_BUCKETS,
    );
    this.thresholds = registry.counter(
      'sluice_budget_thresholds_total',
      'Budget thresholds reached (soft_budget and 50/80/100/300% of max_budget), once per entity, period and threshold.',
      ['entity_type', 'threshold'],
    );
    registerProcessMetrics(registry);
  }

  /** A budget threshold this replica claimed (see alerts/budget-alerts.ts). */
  budgetThreshold(entityType: string, threshold: string): void {
    this.thresholds.labels(entityType, threshold).inc();
  }

  batch(result: { inserted: number; duplicates: number; retried: number; deadLettered: number }, seconds: number): void {
    if (result.inserted > 0) this.events.labels('inserted').inc(result.inserted);
    if (result.duplicates > 0) this.events.labels('duplicate').inc(result.duplicates);
    if (result.retried > 0) this.events.labels('retried').inc(result.retried);
    if (result.deadLettered > 0) this.events.labels('dead_lettered').inc(result.deadLettered);
    this.batchDuration.labels().observe(seconds);
  }

  committed(events: ReadonlyArray<{ event: UsageEvent; deliveries: readonly UsageDelivery[] }>, startedAtMs: number): void {
    const now = Date.now();
    const age = this.age.labels();
    for (const { event } of events) {
      if (event.endTimeMs > 0) age.observe(Math.max(0, now - event.endTimeMs) / 1000);
      if (!this.tracer) continue;
      // The request's trace context, carried in the event (a message may hold many requests' events).
      const traceparent = event.traceparent;
      if (!traceparent) continue;
      const span = this.tracer.startSpan(
        'usage commit',
        {
          kind: SpanKind.CONSUMER,
          startTime: startedAtMs,
          attributes: {
            [ATTRIBUTES.requestId]: event.requestId,
            'messaging.system': 'nats',
            'messaging.operation.type': 'process',
            'messaging.destination.name': this.subject,
            [ATTRIBUTES.modelGroup]: event.modelGroup,
            [ATTRIBUTES.inputTokens]: event.promptTokens,
            [ATTRIBUTES.outputTokens]: event.completionTokens,
            [ATTRIBUTES.costMicros]: event.costMicros,
          },
        },
        contextFromTraceparent(traceparent),
      );
      span.end(now);
    }
  }
}
