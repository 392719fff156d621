import type { SqlClient } from '@sluice/common';
import { type DayRange, lastDays, parseDay, ReportInputError } from './day-range.js';
import { nanosToUsd } from './usd.js';

// LiteLLM's spend breakdowns per tag, team, provider, day and end user, in LiteLLM's shapes (dollars as
// numbers, with the exact nano-USD beside them as `*_nanos`). Each reads a daily aggregate (spend_daily,
// spend_daily_tags, spend_daily_end_users), never spend_logs, so a report costs a few rows per day.

const DEFAULT_WINDOW_DAYS = 30;
const TOP_TEAMS = 10;
const TOP_END_USERS = 100;
const UNASSIGNED = 'Unassigned';

interface NamedSum {
  name: string;
  spend_nanos: number;
  requests: number;
}

const bySpend = (a: NamedSum, b: NamedSum) => b.spend_nanos - a.spend_nanos || a.name.localeCompare(b.name);

/** Per tag over the range (all days when `range` is absent), biggest first. */
async function tagSums(sql: SqlClient, range: DayRange | undefined, tags?: readonly string[]): Promise<NamedSum[]> {
  const params: unknown[] = [];
  // '' holds the untagged requests (for the per-day tag report); LiteLLM's tag lists have no such tag.
  const clauses: string[] = ["tag <> ''"];
  if (range) {
    params.push(range.from, range.to);
    clauses.push('day BETWEEN $1::date AND $2::date');
  }
  if (tags) {
    params.push(tags);
    clauses.push(`tag = ANY($${params.length}::text[])`);
  }
  const result = await sql.query<NamedSum>(
    `SELECT tag AS name, sum(spend_nanos)::bigint AS spend_nanos, sum(requests)::bigint AS requests
     FROM spend_daily_tags WHERE ${clauses.join(' AND ')}
     GROUP BY tag`,
    params,
  );
  return result.rows.sort(bySpend);
}

/** LiteLLM's GET /spend/tags: spend and request count per request tag (optionally within start_date..end_date). */
export async function spendTags(sql: SqlClient, range: DayRange | undefined) {
  return (await tagSums(sql, range)).map((sum) => ({
    individual_request_tag: sum.name,
    log_count: sum.requests,
    total_spend: nanosToUsd(sum.spend_nanos),
    total_spend_nanos: sum.spend_nanos,
  }));
}

/** LiteLLM's GET /global/spend/tags (the UI's tag chart): `tags` is comma-separated, "all-tags" or absent for all. */
export async function globalSpendTags(sql: SqlClient, range: DayRange, tags: string | undefined) {
  const list = tags?.split(',').map((tag) => tag.trim()).filter((tag) => tag !== '');
  const filter = list && list.length > 0 && !list.includes('all-tags') ? list : undefined;
  return {
    spend_per_tag: (await tagSums(sql, range, filter)).map((sum) => ({
      name: sum.name,
      spend: nanosToUsd(sum.spend_nanos),
      spend_nanos: sum.spend_nanos,
      log_count: sum.requests,
    })),
  };
}

/**
 * LiteLLM's GET /global/spend/teams: the last 30 days per day and team, teams named by their alias
 * (their id when they have none; requests without a team are "Unassigned"), and the ten biggest.
 */
export async function globalSpendTeams(sql: SqlClient) {
  const range = lastDays(DEFAULT_WINDOW_DAYS);
  const result = await sql.query<{ day: string; team: string; spend_nanos: number }>(
    `SELECT to_char(d.day, 'YYYY-MM-DD') AS day,
       CASE WHEN d.team_id = '' THEN '${UNASSIGNED}' ELSE COALESCE(t.team_alias, d.team_id) END AS team,
       sum(d.spend_nanos)::bigint AS spend_nanos
     FROM spend_daily d LEFT JOIN teams t ON t.team_id = d.team_id
     WHERE d.day BETWEEN $1::date AND $2::date
     GROUP BY 1, 2
     ORDER BY 1, 2`,
    [range.from, range.to],
  );
  const days = new Map<string, Record<string, number | string>>();
  const totals = new Map<string, NamedSum>();
  for (const row of result.rows) {
    const day = days.get(row.day) ?? { date: row.day };
    day[row.team] = nanosToUsd(row.spend_nanos);
    days.set(row.day, day);
    const total = totals.get(row.team) ?? { name: row.team, spend_nanos: 0, requests: 0 };
    total.spend_nanos += row.spend_nanos;
    totals.set(row.team, total);
  }
  return {
    daily_spend: [...days.values()],
    teams: [...totals.keys()],
    total_spend_per_team: [...totals.values()]
      .sort(bySpend)
      .slice(0, TOP_TEAMS)
      .map((total) => ({ team_id: total.name, total_spend: nanosToUsd(total.spend_nanos), total_spend_nanos: total.spend_nanos })),
  };
}

/** LiteLLM's GET /global/spend/provider: spend per provider over start_date..end_date, biggest first. */
export async function globalSpendProvider(sql: SqlClient, range: DayRange) {
  const result = await sql.query<NamedSum>(
    `SELECT provider AS name, sum(spend_nanos)::bigint AS spend_nanos, sum(requests)::bigint AS requests
     FROM spend_daily WHERE day BETWEEN $1::date AND $2::date AND provider <> ''
     GROUP BY provider`,
    [range.from, range.to],
  );
  return result.rows.sort(bySpend).map((sum) => ({ provider: sum.name, spend: nanosToUsd(sum.spend_nanos), spend_nanos: sum.spend_nanos }));
}

/** LiteLLM's GET /global/spend/logs: spend per day over the last 30 days, for one key when `keyHash` is given. */
export async function globalSpendLogs(sql: SqlClient, keyHash: string | undefined) {
  const range = lastDays(DEFAULT_WINDOW_DAYS);
  const params: unknown[] = [range.from, range.to];
  if (keyHash !== undefined) params.push(keyHash);
  const result = await sql.query<{ date: string; spend_nanos: number }>(
    `SELECT to_char(day, 'YYYY-MM-DD') AS date, sum(spend_nanos)::bigint AS spend_nanos
     FROM spend_daily WHERE day BETWEEN $1::date AND $2::date ${keyHash === undefined ? '' : 'AND key_hash = $3'}
     GROUP BY day ORDER BY day`,
    params,
  );
  return result.rows.map((row) => ({
    date: row.date,
    spend: nanosToUsd(row.spend_nanos),
    spend_nanos: row.spend_nanos,
    ...(keyHash === undefined ? {} : { api_key: keyHash }),
  }));
}

/**
 * A LiteLLM startTime / endTime (a date or a date-time) as a UTC day. The end-user totals are per whole
 * UTC day: an end on a day's first instant excludes that day (LiteLLM's `< endTime`), a later one includes it.
 */
function dayOf(value: unknown, param: string, end: boolean): string {
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
    throw new ReportInputError(`'${param}' must be a date (YYYY-MM-DD) or an ISO 8601 date-time.`, param);
  }
  const at = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${parseDay(value, param)}T00:00:00Z` : value);
  const day = at.toISOString().slice(0, 10);
  if (!end) return day;
  const startOfDay = Date.parse(`${day}T00:00:00Z`);
  return at.getTime() === startOfDay ? new Date(startOfDay - 86_400_000).toISOString().slice(0, 10) : day;
}

export interface EndUsersFilter {
  startTime?: unknown;
  endTime?: unknown;
  /** The key's hash (already resolved from an sk- key). */
  keyHash?: string | undefined;
}

/** LiteLLM's POST /global/spend/end_users: the 100 end users with the most spend (default: the last 30 days). */
export async function globalSpendEndUsers(sql: SqlClient, filter: EndUsersFilter) {
  const fallback = lastDays(DEFAULT_WINDOW_DAYS);
  const range = {
    from: filter.startTime === undefined || filter.startTime === null ? fallback.from : dayOf(filter.startTime, 'startTime', false),
    to: filter.endTime === undefined || filter.endTime === null ? fallback.to : dayOf(filter.endTime, 'endTime', true),
  };
  if (range.from > range.to) throw new ReportInputError("'startTime' is after 'endTime'.", 'startTime');
  const params: unknown[] = [range.from, range.to, TOP_END_USERS];
  if (filter.keyHash !== undefined) params.push(filter.keyHash);
  const result = await sql.query<{ end_user: string; requests: number; spend_nanos: number }>(
    `SELECT end_user, sum(requests)::bigint AS requests, sum(spend_nanos)::bigint AS spend_nanos
     FROM spend_daily_end_users
     WHERE day BETWEEN $1::date AND $2::date ${filter.keyHash === undefined ? '' : 'AND key_hash = $4'}
     GROUP BY end_user
     ORDER BY spend_nanos DESC, end_user
     LIMIT $3`,
    params,
  );
  return result.rows.map((row) => ({
    // LiteLLM's log has NULL for a request without `user`; the ledger keeps ''.
    end_user: row.end_user === '' ? null : row.end_user,
    total_count: row.requests,
    total_spend: nanosToUsd(row.spend_nanos),
    total_spend_nanos: row.spend_nanos,
  }));
}

/** LiteLLM's GET /global/spend/all_tag_names: every request tag the ledger has seen. */
export async function allTagNames(sql: SqlClient) {
  const result = await sql.query<{ tag: string }>("SELECT DISTINCT tag FROM spend_daily_tags WHERE tag <> '' ORDER BY tag");
  return { tag_names: result.rows.map((row) => row.tag) };
}

/** LiteLLM's GET /global/all_end_users: every end user the ledger has seen (no `user`: null). */
export async function allEndUsers(sql: SqlClient) {
  const result = await sql.query<{ end_user: string }>('SELECT DISTINCT end_user FROM spend_daily_end_users ORDER BY end_user');
  return { end_users: result.rows.map((row) => (row.end_user === '' ? null : row.end_user)) };
}
