import type { Logger, Sql } from '@sluice/common';
import type { TraceQueue } from './trace-queue.js';

const POLL_INTERVAL_MS = 1_000;
const MAX_IDLE_BACKOFF_MS = 30_000;

// Claims rows no relay has queued yet (or whose queueing is so old the job must have been lost), under
// FOR UPDATE SKIP LOCKED so replicas never claim the same rows, and marks them queued only in the
// transaction that handed them to the queue: if the queue refuses, the claim rolls back.
const CLAIM = `
SELECT request_id FROM trace_outbox
WHERE queued_at IS NULL OR queued_at < now() - make_interval(secs => $1)
ORDER BY queued_at NULLS FIRST
LIMIT $2
FOR UPDATE SKIP LOCKED`;

export interface OutboxRelay {
  /** Look at the outbox now (a batch just committed rows to it). */
  kick(): void;
  stop(): Promise<void>;
}

export function startOutboxRelay(options: {
  sql: Sql;
  queue: TraceQueue;
  batchSize: number;
  requeueAfterMs: number;
  logger: Logger;
}): OutboxRelay {
  const { sql, queue, logger } = options;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let failures = 0;

  /** Moves one claim to the queue; resolves to how many rows it moved. */
  const relayOnce = () =>
    sql.transaction(async (tx) => {
      const claimed = await tx.query<{ request_id: string }>(CLAIM, [options.requeueAfterMs / 1000, options.batchSize]);
      const ids = claimed.rows.map((row) => row.request_id);
      if (ids.length === 0) return 0;
      await queue.add(ids);
      await tx.query('UPDATE trace_outbox SET queued_at = now() WHERE request_id = ANY($1::text[])', [ids]);
      return ids.length;
    });

  const schedule = (delayMs: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(run, delayMs);
    timer.unref();
  };

  function run(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      try {
        let moved: number;
        do {
          again = false;
          moved = await relayOnce();
        } while (!stopped && (moved === options.batchSize || again));
        failures = 0;
        schedule(POLL_INTERVAL_MS);
      } catch (error) {
        failures += 1;
        if (failures === 1) logger.warn({ err: error }, 'could not queue traces for export; will retry');
        schedule(Math.min(POLL_INTERVAL_MS * 2 ** failures, MAX_IDLE_BACKOFF_MS));
      } finally {
        running = undefined;
      }
    })();
  }

  schedule(0);
  return {
    kick() {
      if (!stopped && failures === 0) run();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
