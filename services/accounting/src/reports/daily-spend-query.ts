import type { SqlClient } from '@sluice/common';
import { type DayRange, rangeBounds } from './day-range.js';
import { filterClauses, type SpendFilters } from './spend-filters.js';

/** A spend_daily sum, by day and the requested columns. */
export interface DailySum {
  day: string;
  key_hash: string;
  key_alias: string;
  team_id: string;
  user_id: string;
  model_group: string;
  provider: string;
  /** Only in queryDailyTagSpend's rows; '' elsewhere. */
  tag: string;
  spend_nanos: number;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  requests: number;
  successes: number;
  failures: number;
}

export type DailyColumn = 'key_hash' | 'team_id' | 'user_id' | 'model_group' | 'provider' | 'tag';

/**
 * Sums spend_daily over the range, per day and per the given columns (the others come back empty).
 * `perDay: false` sums the whole range instead (day comes back empty): a top-N list then gets one row per
 * key, not one per key and day.
 */
export async function queryDailySpend(
  sql: SqlClient,
  range: DayRange,
  by: readonly DailyColumn[],
  filters: SpendFilters = {},
  { perDay = true }: { perDay?: boolean } = {},
): Promise<DailySum[]> {
  const params: unknown[] = [range.from, range.to];
  const clauses = ['day BETWEEN $1::date AND $2::date', ...filterClauses(filters, params)];
  const all: DailyColumn[] = ['key_hash', 'team_id', 'user_id', 'model_group', 'provider'];
  const columns = [...all.map((column) => (by.includes(column) ? column : `''::text AS ${column}`)), "''::text AS tag"];
  const groups = perDay ? ['day', ...by] : [...by];
  const result = await sql.query<DailySum>(
    `SELECT ${perDay ? "to_char(day, 'YYYY-MM-DD')" : "''::text"} AS day, ${columns.join(', ')},
       ${by.includes('key_hash') ? 'max(key_alias)' : "''::text"} AS key_alias,
       sum(spend_nanos)::bigint AS spend_nanos, sum(prompt_tokens)::bigint AS prompt_tokens,
       sum(completion_tokens)::bigint AS completion_tokens, sum(cached_tokens)::bigint AS cached_tokens, sum(requests)::bigint AS requests,
       sum(successes)::bigint AS successes, sum(failures)::bigint AS failures
     FROM spend_daily
     WHERE ${clauses.join(' AND ')}
     GROUP BY ${groups.join(', ')}
     ORDER BY ${groups.join(', ')}`,
    params,
  );
  return result.rows;
}

/**
 * Per UTC day, request tag and model group. A request with two tags counts under both, as in LiteLLM's tag
 * reports; an untagged request counts under the tag ''. Without filters, from spend_daily_tags (a few rows
 * per day); spend_daily_tags has no key, team or user, so a filtered report sums that day's spend_logs.
 */
export async function queryDailyTagSpend(sql: SqlClient, range: DayRange, filters: SpendFilters = {}): Promise<DailySum[]> {
  const names = `''::text AS key_hash, ''::text AS key_alias, ''::text AS team_id, ''::text AS user_id, ''::text AS provider`;
  const params: unknown[] = [];
  const clauses = filterClauses(filters, params);
  if (clauses.length === 0) {
    const result = await sql.query<DailySum>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, tag, model_group, ${names},
         sum(spend_nanos)::bigint AS spend_nanos, sum(prompt_tokens)::bigint AS prompt_tokens,
         sum(completion_tokens)::bigint AS completion_tokens, sum(cached_tokens)::bigint AS cached_tokens, sum(requests)::bigint AS requests,
         sum(successes)::bigint AS successes, sum(failures)::bigint AS failures
       FROM spend_daily_tags
       WHERE day BETWEEN $1::date AND $2::date
       GROUP BY day, tag, model_group
       ORDER BY day, tag, model_group`,
      [range.from, range.to],
    );
    return result.rows;
  }
  const [from, to] = rangeBounds(range);
  const result = await sql.query<DailySum>(
    `SELECT to_char(start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, tag, model_group, ${names},
       sum(cost_nanos)::bigint AS spend_nanos, sum(prompt_tokens)::bigint AS prompt_tokens,
       sum(completion_tokens)::bigint AS completion_tokens, sum(cached_tokens)::bigint AS cached_tokens, count(*)::bigint AS requests,
       count(*) FILTER (WHERE status = 'success')::bigint AS successes,
       count(*) FILTER (WHERE status <> 'success')::bigint AS failures
     FROM spend_logs, unnest(CASE WHEN cardinality(tags) = 0 THEN ARRAY[''] ELSE tags END) AS tag
     WHERE start_time >= $${params.length + 1} AND start_time < $${params.length + 2} AND ${clauses.join(' AND ')}
     GROUP BY 1, 2, 3
     ORDER BY 1, 2, 3`,
    [...params, from, to],
  );
  return result.rows;
}
