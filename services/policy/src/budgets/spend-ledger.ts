import type { SqlClient } from '@sluice/common';
import type { SpendSource } from '../limits/request-scopes.js';

/**
 * A scope's spend in its current period, summed from the ledger (plus any spend carried in by an import): what Redis is rebuilt from when it has
 * no counter (first use, a restart without persistence, a flush). Off the request path except then.
 */
export async function ledgerSpend(sql: SqlClient, source: SpendSource): Promise<number> {
  const model = source.modelGroup === undefined ? '' : ' AND model_group = $3';
  const params: unknown[] = [source.values, new Date(source.sinceMs)];
  const match = source.column === 'tags' ? 'tags && $1::text[]' : `${source.column} = ANY($1)`;
  if (source.modelGroup !== undefined) params.push(source.modelGroup);
  const result = await sql.query<{ spent: number }>(
    `SELECT COALESCE(sum(cost_nanos), 0)::bigint AS spent FROM spend_logs WHERE ${match} AND start_time >= $2${model}`,
    params,
  );
  // Nano-USD, as the counters count; carried spend is stored in micro-USD.
  return Number(result.rows[0]?.spent ?? 0) + source.carriedMicros * 1000;
}
