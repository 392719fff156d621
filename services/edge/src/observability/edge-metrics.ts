import {
  type Counter,
  type CounterSeries,
  type Histogram,
  LATENCY_BUCKETS,
  MetricRegistry,
  OVERHEAD_BUCKETS,
  registerProcessMetrics,
  type UsagePublisher,
} from '@sluice/common';
import type { InflightRequests } from '../proxy/inflight-requests.js';

// The edge's families. Labels are bounded: routes are the registered ones, model groups the configured
// ones (anything else a client sends counts as "other"), key aliases and teams are what admins created,
// statuses and error codes come from fixed tables. Never a request id, never a key.

const TOKEN_LABELS = ['model_group', 'key_alias', 'team', 'team_alias'] as const;

export interface UsageLabels {
  modelGroup: string;
  keyAlias: string;
  team: string;
  teamAlias: string;
}

/** The series of one (model group, key, team) for tokens and spend, looked up once per request. */
interface UsageSeries {
  input: CounterSeries;
  output: CounterSeries;
  spend: CounterSeries;
}

export class EdgeMetrics {
  readonly registry = new MetricRegistry();
  private readonly requests: Counter;
  private readonly duration: Histogram;
  private readonly overhead: Histogram;
  private readonly timeToFirstToken: Histogram;
  private readonly tokens: Counter;
  private readonly spend: Counter;
  private knownModelGroups: ReadonlySet<string>;

  constructor(options: {
    modelGroups: Iterable<string>;
    inflight: InflightRequests;
    publisher: UsagePublisher;
    leases?: { admissions: number; held: number } | undefined;
  }) {
    const registry = this.registry;
    this.knownModelGroups = new Set(options.modelGroups);
    this.requests = registry.counter('sluice_requests_total', 'Requests answered by the edge.', ['route', 'model_group', 'status', 'error_code']);
    this.duration = registry.histogram(
      'sluice_request_duration_seconds',
      'Time from the request arriving to the end of its response, in seconds.',
      ['route', 'model_group', 'status'],
      LATENCY_BUCKETS,
    );
    this.overhead = registry.histogram(
      'sluice_overhead_seconds',
      "Time spent in the gateway itself (the request's duration minus the time waiting on providers), in seconds.",
      ['route'],
      OVERHEAD_BUCKETS,
    );
    this.timeToFirstToken = registry.histogram(
      'sluice_time_to_first_token_seconds',
      'Time from the request arriving to its first content reaching the client, in seconds.',
      ['model_group'],
      LATENCY_BUCKETS,
    );
    this.tokens = registry.counter('sluice_tokens_total', 'Tokens used, by direction (input or output).', [...TOKEN_LABELS, 'direction'], { maxSeries: 10_000 });
    this.spend = registry.counter('sluice_spend_usd_total', 'Spend, in US dollars.', TOKEN_LABELS, { maxSeries: 5_000 });
    registry.sampled('sluice_inflight_requests', 'Requests the edge is proxying right now.', 'gauge', [], () => [[[], options.inflight.size]]);
    registry.sampled('sluice_usage_publish_pending', 'Usage events published and not yet acknowledged by the stream.', 'gauge', [], () => [
      [[], options.publisher.pending()],
    ]);
    const leases = options.leases;
    if (leases) {
      registry.sampled('sluice_lease_admissions_total', 'Requests the edge admitted from leased quota, without asking policy.', 'counter', [], () => [[[], leases.admissions]]);
      registry.sampled('sluice_leases_held', 'Leases the edge holds right now.', 'gauge', [], () => [[[], leases.held]]);
    }
    registerProcessMetrics(registry);
  }

  /** A reloaded config's model groups become label values of their own. */
  knowModelGroups(modelGroups: Iterable<string>): void {
    this.knownModelGroups = new Set(modelGroups);
  }

  /** The model group as a label value: configured groups as they are, anything else a client sent as "other". */
  modelGroupLabel(modelGroup: string): string {
    if (modelGroup === '' || this.knownModelGroups.has(modelGroup)) return modelGroup;
    return 'other';
  }

  request(route: string, modelGroup: string, status: number, errorCode: string, durationSeconds: number): void {
    const statusText = String(status);
    this.requests.labels(route, modelGroup, statusText, errorCode).inc();
    this.duration.labels(route, modelGroup, statusText).observe(durationSeconds);
  }

  overheadSeconds(route: string, seconds: number): void {
    this.overhead.labels(route).observe(seconds);
  }

  firstToken(modelGroup: string, seconds: number): void {
    this.timeToFirstToken.labels(modelGroup).observe(seconds);
  }

  usage(labels: UsageLabels, inputTokens: number, outputTokens: number, costMicros: number): void {
    const series = this.usageSeries(labels);
    if (inputTokens > 0) series.input.inc(inputTokens);
    if (outputTokens > 0) series.output.inc(outputTokens);
    if (costMicros > 0) series.spend.inc(costMicros / 1_000_000);
  }

  private usageSeries(labels: UsageLabels): UsageSeries {
    const { modelGroup, keyAlias, team, teamAlias } = labels;
    return {
      input: this.tokens.labels(modelGroup, keyAlias, team, teamAlias, 'input'),
      output: this.tokens.labels(modelGroup, keyAlias, team, teamAlias, 'output'),
      spend: this.spend.labels(modelGroup, keyAlias, team, teamAlias),
    };
  }
}
