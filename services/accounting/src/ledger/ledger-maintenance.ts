import { addDuration, type Logger, type MetricRegistry, type Sql } from '@sluice/common';
import { dropSpendLogPartitionsBefore, ensureSpendLogPartitions } from './spend-log-partitions.js';

const DAY_MS = 86_400_000;
/** LiteLLM runs its clean-up daily unless maximum_spend_logs_retention_interval says otherwise. */
const DEFAULT_RETENTION_INTERVAL = '1d';
/** setInterval takes at most 2^31-1 ms (~24.8 days); a longer interval runs this often instead. */
const MAX_TIMER_MS = 24 * DAY_MS;

export interface LedgerMaintenanceOptions {
  sql: Sql;
  logger: Logger;
  registry: MetricRegistry;
  /** general_settings.maximum_spend_logs_retention_period; no retention when unset. */
  retentionPeriod?: string | undefined;
  /** general_settings.maximum_spend_logs_retention_interval. */
  retentionInterval?: string | undefined;
  /**
   * The usage stream's max age: an event can be redelivered until then, and its dedupe needs its
   * partition, so no partition younger than this is dropped whatever the retention period.
   */
  redeliveryWindowMs: number;
}

export interface LedgerMaintenance {
  /** Ends the schedule and waits for a run in progress. */
  stop(): Promise<void>;
}

/** The oldest start_time retention keeps. */
export function retentionCutoff(nowMs: number, period: string, redeliveryWindowMs: number): Date {
  return new Date(Math.min(addDuration(nowMs, period, -1), nowMs - redeliveryWindowMs));
}

/**
 * Makes spend_logs' partitions ahead (now and daily) and, with a retention period, drops the partitions
 * older than it (now and every retention interval). A failed run is logged and counted, and tried again
 * at the next one; the default partition keeps the ledger writable meanwhile.
 */
export async function startLedgerMaintenance(options: LedgerMaintenanceOptions): Promise<LedgerMaintenance> {
  const { sql, logger, registry, retentionPeriod } = options;
  const created = registry.counter('sluice_ledger_partitions_created_total', 'spend_logs partitions made ahead by accounting.');
  const dropped = registry.counter('sluice_ledger_partitions_dropped_total', 'spend_logs partitions dropped by retention.');
  const droppedRows = registry.counter('sluice_ledger_rows_dropped_total', 'spend_logs rows removed by retention (in dropped partitions).');
  const failures = registry.counter('sluice_ledger_maintenance_failures_total', 'Failed partition maintenance runs, by job.', ['job']);
  for (const job of ['partitions', 'retention']) failures.labels(job);

  let running: Promise<void> = Promise.resolve();
  const serially = (job: () => Promise<void>) => {
    running = running.then(job);
    return running;
  };

  const makePartitions = () =>
    serially(async () => {
      try {
        const made = await ensureSpendLogPartitions(sql);
        if (made.length > 0) {
          created.labels().inc(made.length);
          logger.info({ partitions: made }, 'made spend_logs partitions');
        }
      } catch (error) {
        failures.labels('partitions').inc();
        logger.warn({ err: error }, 'could not make spend_logs partitions; rows go to the default partition meanwhile');
      }
    });

  const applyRetention = (period: string) =>
    serially(async () => {
      const cutoff = retentionCutoff(Date.now(), period, options.redeliveryWindowMs);
      try {
        const result = await dropSpendLogPartitionsBefore(sql, cutoff);
        if (result === undefined) return; // another replica is at it
        for (const partition of result) {
          if (partition.partition !== 'spend_logs_default') dropped.labels().inc();
          droppedRows.labels().inc(partition.rows);
          logger.info({ partition: partition.partition, rows: partition.rows, cutoff: cutoff.toISOString() }, 'retention dropped spend_logs rows');
        }
      } catch (error) {
        failures.labels('retention').inc();
        logger.warn({ err: error, cutoff: cutoff.toISOString() }, 'spend_logs retention failed; it runs again at the next interval');
      }
    });

  await makePartitions();
  const timers = [setInterval(() => void makePartitions(), DAY_MS)];
  if (retentionPeriod !== undefined) {
    await applyRetention(retentionPeriod);
    const intervalMs = Math.min(addDuration(0, options.retentionInterval ?? DEFAULT_RETENTION_INTERVAL), MAX_TIMER_MS);
    timers.push(setInterval(() => void applyRetention(retentionPeriod), intervalMs));
    logger.info({ period: retentionPeriod, interval: options.retentionInterval ?? DEFAULT_RETENTION_INTERVAL }, 'spend_logs retention on');
  }
  for (const timer of timers) timer.unref();

  return {
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await running;
    },
  };
}
