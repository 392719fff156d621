import { performance } from 'node:perf_hooks';
import type { Sql, SqlClient } from '../backends/sql.js';
import type { ConsumerLag, UsageBus } from '../backends/usage-bus.js';
import { BACKEND_BUCKETS, type MetricRegistry } from './metric-registry.js';

/** Runs a backend call and records its duration, and its failure if it fails. */
export type TimedCall = <T>(operation: string, call: () => Promise<T>) => Promise<T>;

/**
 * sluice_<backend>_call_duration_seconds and sluice_<backend>_call_failures_total by operation (a
 * fixed name per kind of call, never a key or a query text).
 */
export function backendCallMetrics(registry: MetricRegistry, backend: 'redis' | 'postgres'): TimedCall {
  const duration = registry.histogram(
    `sluice_${backend}_call_duration_seconds`,
    `Duration of ${backend === 'redis' ? 'Redis commands and scripts' : 'Postgres queries and transactions'}, in seconds.`,
    ['operation'],
    BACKEND_BUCKETS,
  );
  const failures = registry.counter(`sluice_${backend}_call_failures_total`, `Failed ${backend === 'redis' ? 'Redis' : 'Postgres'} calls.`, ['operation']);
  return <T>(operation: string, call: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const series = duration.labels(operation);
    let pending: Promise<T>;
    try {
      pending = call();
    } catch (error) {
      series.observe((performance.now() - started) / 1000);
      failures.labels(operation).inc();
      return Promise.reject(error);
    }
    return pending.then(
      (value) => {
        series.observe((performance.now() - started) / 1000);
        return value;
      },
      (error: unknown) => {
        series.observe((performance.now() - started) / 1000);
        failures.labels(operation).inc();
        throw error;
      },
    );
  };
}

/**
 * An object with the same methods as `target` (every method runs on `target` itself), the named async
 * ones timed under their own names.
 */
export function timeMethods<T extends object>(target: T, methods: ReadonlyArray<keyof T & string>, timed: TimedCall): T {
  const wrapped: Record<string, unknown> = {};
  const source = target as Record<string, unknown>;
  for (let layer: object | null = target; layer && layer !== Object.prototype; layer = Object.getPrototypeOf(layer) as object | null) {
    for (const name of Object.getOwnPropertyNames(layer)) {
      const value = source[name];
      if (name === 'constructor' || name in wrapped || typeof value !== 'function') continue;
      const method = value as (...args: unknown[]) => unknown;
      wrapped[name] = (methods as readonly string[]).includes(name)
        ? (...args: unknown[]) => timed(name, () => method.apply(target, args) as Promise<unknown>)
        : method.bind(target);
    }
  }
  return wrapped as T;
}

/** The database with every query and transaction timed (a transaction counts once, as a whole). */
export function instrumentSql(sql: Sql, registry: MetricRegistry): Sql {
  const timed = backendCallMetrics(registry, 'postgres');
  return {
    query<Row>(text: string, params?: readonly unknown[]) {
      return timed('query', () => sql.query<Row>(text, params));
    },
    transaction<T>(work: (tx: SqlClient) => Promise<T>) {
      return timed('transaction', () => sql.transaction(work));
    },
    close: () => sql.close(),
  };
}

/** The usage-stream consumer's lag, read from the stream once per scrape however many families ask. */
export function registerConsumerLag(registry: MetricRegistry, bus: UsageBus, durable: string): void {
  if (!bus.lag) return;
  const read = bus.lag.bind(bus);
  let cached: Promise<ConsumerLag> | undefined;
  registry.onScrape(() => {
    cached = undefined;
  });
  const lag = () => (cached ??= read(durable));
  registry.sampled('sluice_usage_consumer_pending_messages', 'Usage events in the stream not yet delivered to this consumer.', 'gauge', ['consumer'], async () => [
    [[durable], (await lag()).pending],
  ]);
  registry.sampled('sluice_usage_consumer_ack_pending_messages', 'Usage events delivered to this consumer and not yet acknowledged.', 'gauge', ['consumer'], async () => [
    [[durable], (await lag()).ackPending],
  ]);
  registry.sampled('sluice_usage_consumer_redelivered_messages', 'Usage events delivered more than once and not yet acknowledged.', 'gauge', ['consumer'], async () => [
    [[durable], (await lag()).redelivered],
  ]);
}
