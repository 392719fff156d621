import {
  backendCallMetrics,
  type Counter,
  type CounterSeries,
  type Histogram,
  type HistogramSeries,
  MetricRegistry,
  OVERHEAD_BUCKETS,
  registerProcessMetrics,
  type Sample,
  type TimedCall,
} from '@sluice/common';
import type { Decision } from '@sluice/proto';
import type { ScopeSnapshot, WatchedScopes } from './watched-scopes.js';

/** The result label of a decision: allowed, the limit that refused it, or why there was no decision. */
export type DecisionResult = 'allowed' | 'rpm' | 'tpm' | 'budget' | 'parallel' | 'rejected' | 'unavailable';

const RESULT_OF_CODE: Record<string, DecisionResult> = {
  rate_limit_requests: 'rpm',
  rate_limit_tokens: 'tpm',
  budget_exceeded: 'budget',
  parallel_request_limit: 'parallel',
  policy_unavailable: 'unavailable',
  limits_unavailable: 'unavailable',
};

export function decisionResult(decision: Decision): DecisionResult {
  if (decision.allowed) return 'allowed';
  return RESULT_OF_CODE[decision.errorCode] ?? 'rejected';
}

type LeaseResult = 'granted' | 'none' | 'refused';

const SCOPE_LABELS = ['scope_type', 'scope', 'model_group'] as const;

export class PolicyMetrics {
  readonly registry = new MetricRegistry();
  readonly redis: TimedCall;
  private readonly decisions: Counter;
  private readonly decisionSeries = new Map<DecisionResult, CounterSeries>();
  private readonly duration: HistogramSeries;
  private readonly leaseSeries = new Map<LeaseResult, CounterSeries>();

  constructor() {
    const registry = this.registry;
    this.decisions = registry.counter('sluice_policy_decisions_total', 'Authorization decisions, by result.', ['result']);
    // Every result exists from the start, so a rate over it never misses its first increment.
    for (const result of ['allowed', 'rpm', 'tpm', 'budget', 'parallel', 'rejected', 'unavailable'] as const) {
      this.decisionSeries.set(result, this.decisions.labels(result));
    }
    const histogram: Histogram = registry.histogram(
      'sluice_policy_decision_duration_seconds',
      'Time to make one decision (key lookup, Redis reservation), in seconds.',
      [],
      OVERHEAD_BUCKETS,
    );
    this.duration = histogram.labels();
    const leases = registry.counter('sluice_policy_leases_total', 'Lease requests of edges, by result (not counted as decisions).', ['result']);
    for (const result of ['granted', 'none', 'refused'] as const) this.leaseSeries.set(result, leases.labels(result));
    this.redis = backendCallMetrics(registry, 'redis');
    registerProcessMetrics(registry);
  }

  decision(result: DecisionResult, seconds: number): void {
    this.decisionSeries.get(result)!.inc();
    this.duration.observe(seconds);
  }

  /** A lease request answered: a lease, none (near a limit, or nothing to lease), or the key refused. */
  lease(decision: Decision): void {
    this.leaseSeries.get(!decision.allowed ? 'refused' : decision.lease ? 'granted' : 'none')!.inc();
  }

  /** Budget and limit gauges of the scopes recently decided for. */
  watch(scopes: WatchedScopes): void {
    const registry = this.registry;
    registry.onScrape(() => scopes.invalidate());
    const gauge = (name: string, help: string, pick: (scope: ScopeSnapshot) => number | undefined) =>
      registry.sampled(name, help, 'gauge', SCOPE_LABELS, async () => {
        const samples: Sample[] = [];
        for (const scope of await scopes.read()) {
          const value = pick(scope);
          if (value !== undefined) samples.push([[scope.scopeType, scope.scope, scope.modelGroup], value]);
        }
        return samples;
      });
    gauge('sluice_budget_limit_usd', 'Budget of a key, user, team or organisation (or of one of them for one model), in US dollars.', (scope) =>
      scope.budgetNanos >= 0 ? scope.budgetNanos / 1e9 : undefined,
    );
    gauge('sluice_budget_spent_usd', 'Spend in the current budget period, in US dollars.', (scope) =>
      scope.budgetNanos >= 0 ? scope.spentNanos / 1e9 : undefined,
    );
    gauge('sluice_budget_remaining_usd', 'Budget left: the budget less spend and what requests in flight hold, in US dollars.', (scope) =>
      scope.budgetNanos >= 0 ? Math.max(0, scope.budgetNanos - scope.spentNanos - scope.reservedNanos) / 1e9 : undefined,
    );
    const kinds: Array<{ kind: string; limit(scope: ScopeSnapshot): number; used(scope: ScopeSnapshot): number }> = [
      { kind: 'requests', limit: (scope) => scope.rpm, used: (scope) => scope.requests },
      { kind: 'tokens', limit: (scope) => scope.tpm, used: (scope) => scope.tokens },
      { kind: 'parallel', limit: (scope) => scope.parallel, used: (scope) => scope.parallelInUse },
    ];
    const limitFamily = (name: string, help: string, value: (kind: (typeof kinds)[number], scope: ScopeSnapshot) => number) =>
      registry.sampled(name, help, 'gauge', [...SCOPE_LABELS, 'kind'], async () => {
        const samples: Sample[] = [];
        for (const scope of await scopes.read()) {
          for (const kind of kinds) {
            if (kind.limit(scope) > 0) samples.push([[scope.scopeType, scope.scope, scope.modelGroup, kind.kind], value(kind, scope)]);
          }
        }
        return samples;
      });
    limitFamily('sluice_rate_limit', 'A limit of a scope: requests or tokens per minute, or requests in flight.', (kind, scope) => kind.limit(scope));
    limitFamily('sluice_rate_limit_remaining', 'What is left of a limit in its current window (requests, tokens) or right now (parallel).', (kind, scope) =>
      Math.max(0, kind.limit(scope) - kind.used(scope)),
    );
  }
}
