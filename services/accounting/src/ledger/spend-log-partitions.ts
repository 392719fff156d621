import type { Sql } from '@sluice/common';

// spend_logs' monthly partitions (migration 0510 has the SQL functions). Every accounting replica runs
// this; a transaction-scoped advisory lock makes one do the work at a time, so two replicas never try to
// make or drop the same table at once.
const PARTITIONS_LOCK_KEY = 727_130_510;

/** Months ahead of the current one that always have a partition. */
export const MONTHS_AHEAD = 2;

/**
 * How long a drop waits for its lock on spend_logs: it needs one that conflicts with every read and write
 * of the table, and waiting behind a long report would hold up every insert queued behind it. A drop that
 * times out is tried again at the next run.
 */
const DROP_LOCK_TIMEOUT = '5s';

/** Makes the partitions of the current month and the next MONTHS_AHEAD (UTC); resolves to the new ones. */
export async function ensureSpendLogPartitions(sql: Sql, now: Date = new Date(), monthsAhead = MONTHS_AHEAD): Promise<string[]> {
  return sql.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [PARTITIONS_LOCK_KEY]);
    const result = await tx.query<{ partition: string }>(
      `SELECT 'spend_logs_' || to_char(month, 'YYYY_MM') AS partition
       FROM generate_series(date_trunc('month', $1::timestamptz AT TIME ZONE 'UTC'),
                            date_trunc('month', $1::timestamptz AT TIME ZONE 'UTC') + make_interval(months => $2::int),
                            interval '1 month') AS month
       WHERE spend_logs_ensure_partition(month::date)`,
      [now, monthsAhead],
    );
    return result.rows.map((row) => row.partition);
  });
}

export interface DroppedPartition {
  partition: string;
  rows: number;
}

/**
 * Drops the monthly partitions that end on or before `cutoff` (and the default partition's rows older
 * than it). Resolves to what was dropped, or to undefined when another replica holds the lock (it is
 * doing the same).
 */
export async function dropSpendLogPartitionsBefore(sql: Sql, cutoff: Date): Promise<DroppedPartition[] | undefined> {
  return sql.transaction(async (tx) => {
    const locked = await tx.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [PARTITIONS_LOCK_KEY]);
    if (!locked.rows[0]?.locked) return undefined;
    await tx.query(`SET LOCAL lock_timeout = '${DROP_LOCK_TIMEOUT}'`);
    const result = await tx.query<{ partition_name: string; rows_deleted: string | number }>(
      'SELECT partition_name, rows_deleted FROM spend_logs_drop_partitions_before($1)',
      [cutoff],
    );
    return result.rows.map((row) => ({ partition: row.partition_name, rows: Number(row.rows_deleted) }));
  });
}
