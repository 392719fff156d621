import { performance } from 'node:perf_hooks';
import type { Logger, Sql, UsageDelivery } from '@sluice/common';
import { UsageEvent } from '@sluice/proto';
import { addToAggregates } from './ledger/add-to-aggregates.js';
import { failureKind } from './ledger/failure-kind.js';
import { type DailyDelta, type InsertOptions, insertSpendLogs } from './ledger/insert-spend-logs.js';
import { type DeadLetter, parkDeadLetters } from './ledger/park-dead-letters.js';
import { toSpendLogRow } from './ledger/spend-log-rows.js';
import type { LedgerObserver } from './observability/ledger-observer.js';

export interface BatchResult {
  /** Rows new to the ledger. */
  inserted: number;
  /** Deliveries whose request was already in the ledger (redelivery, duplicate publish). */
  duplicates: number;
  /** Deliveries naked for a later attempt. */
  retried: number;
  /** Deliveries parked in usage_dead_letters. */
  deadLettered: number;
}

export interface BatchWriterOptions extends InsertOptions {
  /** Deliveries after which an event that still cannot be written is parked as a dead letter. */
  maxDeliver: number;
  /** Called after each commit that queued rows for the trace export. */
  onTracesQueued?: () => void;
  /** Metrics of every batch, and a span per committed event when tracing is on. */
  observer?: LedgerObserver;
  /** Called after each commit with what it added to the aggregates (budget alerts). */
  onAggregated?: (deltas: readonly DailyDelta[]) => void;
}

/** A request's deliveries in this batch (a duplicate publish can bring the same request twice). */
interface Entry {
  requestId: string;
  event: UsageEvent;
  row: Record<string, unknown>;
  deliveries: UsageDelivery[];
}

const MAX_NAK_DELAY_MS = 30_000;
const MAX_PAUSE_MS = 5_000;

/** Redelivery delay: 1 s after the first failure, doubling, capped, so an outage is not a busy loop. */
export function nakDelayMs(deliveryCount: number): number {
  return Math.min(1_000 * 2 ** Math.max(0, deliveryCount - 1), MAX_NAK_DELAY_MS);
}

function decode(delivery: UsageDelivery): UsageEvent {
  const event = UsageEvent.decode(delivery.data);
  if (event.requestId === '') throw new Error('usage event without request_id');
  return event;
}

/**
 * Commits batches of usage events to the ledger, each in one transaction, and only then acks them;
 * nothing is acked before its commit, so a crash at any point means redelivery, and redelivery inserts
 * nothing twice. A transient failure naks the batch with a delay. A row Postgres rejects is found by
 * splitting the batch, the others are committed, and it is retried until `maxDeliver`, then parked.
 */
export function createBatchWriter(sql: Sql, logger: Logger, options: BatchWriterOptions) {
  let consecutiveFailures = 0;

  const retry = (deliveries: readonly UsageDelivery[]) => {
    for (const delivery of deliveries) delivery.nak(nakDelayMs(delivery.deliveryCount));
  };

  /** Dead-letters what has used up its deliveries, naks the rest; resolves to [parked, retried]. */
  async function rejectEach(rejected: Array<{ delivery: UsageDelivery; requestId: string; error: string }>): Promise<[number, number]> {
    const final = rejected.filter((item) => item.delivery.deliveryCount >= options.maxDeliver);
    const later = rejected.filter((item) => item.delivery.deliveryCount < options.maxDeliver);
    retry(later.map((item) => item.delivery));
    if (final.length === 0) return [0, later.length];
    const letters: DeadLetter[] = final.map(({ delivery, requestId, error }) => ({
      requestId,
      payload: delivery.data,
      headers: delivery.headers,
      deliveries: delivery.deliveryCount,
      error,
    }));
    try {
      await parkDeadLetters(sql, letters);
    } catch (error) {
      logger.warn({ err: error }, 'could not park dead letters; they will be redelivered');
      retry(final.map((item) => item.delivery));
      return [0, rejected.length];
    }
    for (const item of final) {
      item.delivery.term();
      logger.error({ requestId: item.requestId, deliveries: item.delivery.deliveryCount, error: item.error }, 'usage event parked as a dead letter');
    }
    return [final.length, later.length];
  }

  /** Commits `entries` in one transaction; on a data error, splits them until the bad row is alone. */
  async function commit(entries: Entry[], result: BatchResult): Promise<boolean> {
    const startedAtMs = Date.now();
    let aggregated: readonly DailyDelta[] = [];
    try {
      const inserted = await sql.transaction(async (tx) => {
        const deltas = await insertSpendLogs(
          tx,
          entries.map((entry) => entry.row),
          options,
        );
        await addToAggregates(tx, deltas);
        aggregated = deltas;
        return deltas.reduce((sum, delta) => sum + delta.requests, 0);
      });
      for (const entry of entries) for (const delivery of entry.deliveries) delivery.ack();
      const deliveries = entries.reduce((sum, entry) => sum + entry.deliveries.length, 0);
      result.inserted += inserted;
      result.duplicates += deliveries - inserted;
      if (inserted > 0 && options.exportTraces) options.onTracesQueued?.();
      options.observer?.committed(entries, startedAtMs);
      if (aggregated.length > 0) options.onAggregated?.(aggregated);
      return true;
    } catch (error) {
      if (failureKind(error) === 'transient') {
        logger.warn({ err: error, events: entries.length }, 'ledger write failed; the batch will be redelivered');
        const deliveries = entries.flatMap((entry) => entry.deliveries);
        retry(deliveries);
        result.retried += deliveries.length;
        return false;
      }
      if (entries.length === 1) {
        const entry = entries[0]!;
        const message = error instanceof Error ? error.message : String(error);
        const [parked, retried] = await rejectEach(entry.deliveries.map((delivery) => ({ delivery, requestId: entry.requestId, error: message })));
        result.deadLettered += parked;
        result.retried += retried;
        return true;
      }
      const middle = Math.ceil(entries.length / 2);
      const first = await commit(entries.slice(0, middle), result);
      if (!first) {
        // Postgres went away while we were splitting: everything left goes back too.
        const rest = entries.slice(middle).flatMap((entry) => entry.deliveries);
        retry(rest);
        result.retried += rest.length;
        return false;
      }
      return commit(entries.slice(middle), result);
    }
  }

  return async function writeBatch(batch: UsageDelivery[]): Promise<BatchResult> {
    const started = performance.now();
    const result: BatchResult = { inserted: 0, duplicates: 0, retried: 0, deadLettered: 0 };
    const entries = new Map<string, Entry>();
    const unreadable: Array<{ delivery: UsageDelivery; requestId: string; error: string }> = [];
    for (const delivery of batch) {
      let event: UsageEvent;
      try {
        event = decode(delivery);
      } catch (error) {
        unreadable.push({ delivery, requestId: '', error: `unreadable usage event: ${(error as Error).message}` });
        continue;
      }
      const entry = entries.get(event.requestId);
      if (entry) entry.deliveries.push(delivery);
      else entries.set(event.requestId, { requestId: event.requestId, event, row: toSpendLogRow(event), deliveries: [delivery] });
    }
    if (unreadable.length > 0) {
      const [parked, retried] = await rejectEach(unreadable);
      result.deadLettered += parked;
      result.retried += retried;
    }
    const committed = entries.size === 0 || (await commit([...entries.values()], result));
    if (committed) {
      consecutiveFailures = 0;
    } else {
      // Hold the next batch back a little: the naks already delay redelivery, and this keeps fresh
      // events from being pulled only to fail against a database that is still away.
      consecutiveFailures += 1;
      await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** (consecutiveFailures - 1), MAX_PAUSE_MS)));
    }
    options.observer?.batch(result, (performance.now() - started) / 1000);
    return result;
  };
}
