import type { Logger, Sql, UsageDelivery } from '@sluice/common';
import { UsageEvent } from '@sluice/proto';
import { insertSpendLogs } from './ledger/insert-spend-logs.js';
import { toSpendLogRow } from './ledger/spend-log-rows.js';

export interface BatchResult {
  inserted: number;
  duplicates: number;
  rejected: number;
}

/**
 * Commits one batch of usage events to the ledger in one transaction, then acks them; nothing is acked
 * before the commit, so a crash at any point means redelivery, and redelivery inserts nothing twice.
 */
export function createBatchWriter(sql: Sql, logger: Logger) {
  return async function writeBatch(batch: UsageDelivery[]): Promise<BatchResult> {
    const rows: Record<string, unknown>[] = [];
    const accepted: UsageDelivery[] = [];
    let rejected = 0;
    const seen = new Set<string>();
    for (const delivery of batch) {
      let event: UsageEvent;
      try {
        event = UsageEvent.decode(delivery.data);
        if (event.requestId === '') throw new Error('usage event without request_id');
      } catch (error) {
        logger.error({ err: error, deliveryCount: delivery.deliveryCount }, 'unreadable usage event; dropped');
        delivery.term();
        rejected += 1;
        continue;
      }
      accepted.push(delivery);
      if (seen.has(event.requestId)) continue;
      seen.add(event.requestId);
      rows.push(toSpendLogRow(event));
    }
    const inserted = await sql.transaction((tx) => insertSpendLogs(tx, rows));
    for (const delivery of accepted) delivery.ack();
    return { inserted: inserted.length, duplicates: accepted.length - inserted.length, rejected };
  };
}
