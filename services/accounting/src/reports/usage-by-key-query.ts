import type { SqlClient } from '@sluice/common';
import type { DayRange } from './day-range.js';

/** One key's usage over a range: what the usage report prints per row. */
export interface KeyUsage {
  key_hash: string;
  key_alias: string;
  requests: number;
  failures: number;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  spend_nanos: number;
  models: string[];
}

/**
 * Per key over the inclusive UTC days, most spend first. Summed per key and model first: array_agg(DISTINCT)
 * can only be computed from input sorted by key, and sorting every row of the range (a day's row per key
 * and model) spilled to disk; hashing them into a few rows per key first leaves only those to sort.
 */
export async function queryUsageByKey(sql: SqlClient, range: DayRange): Promise<KeyUsage[]> {
  const result = await sql.query<KeyUsage>(
    `SELECT key_hash, max(key_alias) AS key_alias, sum(requests)::bigint AS requests, sum(failures)::bigint AS failures,
       sum(prompt_tokens)::bigint AS prompt_tokens, sum(completion_tokens)::bigint AS completion_tokens,
       sum(cached_tokens)::bigint AS cached_tokens,
       sum(spend_nanos)::bigint AS spend_nanos,
       coalesce(array_agg(model_group) FILTER (WHERE model_group <> ''), '{}') AS models
     FROM (
       SELECT key_hash, model_group, max(key_alias) AS key_alias, sum(requests) AS requests, sum(failures) AS failures,
         sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens, sum(cached_tokens) AS cached_tokens,
         sum(spend_nanos) AS spend_nanos
       FROM spend_daily
       WHERE day BETWEEN $1::date AND $2::date
       GROUP BY key_hash, model_group
     ) AS per_model
     GROUP BY key_hash
     ORDER BY sum(spend_nanos) DESC, key_hash`,
    [range.from, range.to],
  );
  return result.rows.map((row) => ({ ...row, models: [...row.models].sort() }));
}
