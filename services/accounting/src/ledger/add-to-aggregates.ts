import type { SqlClient } from '@sluice/common';
import type { DailyDelta } from './insert-spend-logs.js';
import { jsonbParameter } from './jsonb-parameter.js';

// One statement per aggregate table per batch, whatever the traffic: Postgres sees a handful of upserts
// every second instead of an UPDATE per request. Every transaction touches the tables in the same order
// (daily, key, team, user, organisation) and the rows of each in key order, so replicas committing at
// the same time queue behind each other's row locks and never deadlock.

const UPSERT_DAILY = `
INSERT INTO spend_daily (
  day, key_hash, team_id, user_id, organization_id, model_group, model, provider, key_alias,
  prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, spend_micros, spend_nanos, requests, successes, failures)
SELECT day::date, key_hash, team_id, user_id, organization_id, model_group, model, provider, key_alias,
  prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, spend_micros, spend_nanos, requests, successes, failures
FROM jsonb_to_recordset($1::jsonb) AS r(
  day text, key_hash text, team_id text, user_id text, organization_id text, model_group text, model text,
  provider text, key_alias text, prompt_tokens bigint, completion_tokens bigint, cached_tokens bigint,
  reasoning_tokens bigint, spend_micros bigint, spend_nanos bigint, requests bigint, successes bigint, failures bigint)
ORDER BY day, key_hash, team_id, user_id, organization_id, model_group, model, provider
ON CONFLICT (day, key_hash, team_id, user_id, organization_id, model_group, model, provider) DO UPDATE SET
  key_alias = CASE WHEN excluded.key_alias <> '' THEN excluded.key_alias ELSE spend_daily.key_alias END,
  prompt_tokens = spend_daily.prompt_tokens + excluded.prompt_tokens,
  completion_tokens = spend_daily.completion_tokens + excluded.completion_tokens,
  cached_tokens = spend_daily.cached_tokens + excluded.cached_tokens,
  reasoning_tokens = spend_daily.reasoning_tokens + excluded.reasoning_tokens,
  spend_micros = spend_daily.spend_micros + excluded.spend_micros,
  spend_nanos = spend_daily.spend_nanos + excluded.spend_nanos,
  requests = spend_daily.requests + excluded.requests,
  successes = spend_daily.successes + excluded.successes,
  failures = spend_daily.failures + excluded.failures`;

interface EntityTable {
  table: string;
  id: 'key_hash' | 'team_id' | 'user_id' | 'organization_id';
  /** spend_by_key also remembers the key's alias. */
  alias: boolean;
}

const ENTITY_TABLES: readonly EntityTable[] = [
  { table: 'spend_by_key', id: 'key_hash', alias: true },
  { table: 'spend_by_team', id: 'team_id', alias: false },
  { table: 'spend_by_user', id: 'user_id', alias: false },
  { table: 'spend_by_organization', id: 'organization_id', alias: false },
];

function upsertTotals({ table, id, alias }: EntityTable): string {
  const aliasColumn = alias ? ', key_alias' : '';
  const aliasType = alias ? ', key_alias text' : '';
  const aliasUpdate = alias
    ? `key_alias = CASE WHEN excluded.key_alias <> '' THEN excluded.key_alias ELSE ${table}.key_alias END,`
    : '';
  return `
INSERT INTO ${table} (${id}${aliasColumn}, spend_micros, spend_nanos, requests, failures, prompt_tokens, completion_tokens, last_request_at)
SELECT ${id}${aliasColumn}, spend_micros, spend_nanos, requests, failures, prompt_tokens, completion_tokens, last_request_at
FROM jsonb_to_recordset($1::jsonb) AS r(${id} text${aliasType}, spend_micros bigint, spend_nanos bigint, requests bigint, failures bigint,
  prompt_tokens bigint, completion_tokens bigint, last_request_at timestamptz)
ORDER BY ${id}
ON CONFLICT (${id}) DO UPDATE SET ${aliasUpdate}
  spend_micros = ${table}.spend_micros + excluded.spend_micros,
  spend_nanos = ${table}.spend_nanos + excluded.spend_nanos,
  requests = ${table}.requests + excluded.requests,
  failures = ${table}.failures + excluded.failures,
  prompt_tokens = ${table}.prompt_tokens + excluded.prompt_tokens,
  completion_tokens = ${table}.completion_tokens + excluded.completion_tokens,
  last_request_at = greatest(${table}.last_request_at, excluded.last_request_at)`;
}

const UPSERT_TOTALS = new Map(ENTITY_TABLES.map((entity) => [entity.table, upsertTotals(entity)]));

interface Totals {
  key_alias: string;
  spend_micros: number;
  spend_nanos: number;
  requests: number;
  failures: number;
  prompt_tokens: number;
  completion_tokens: number;
  last_request_at: Date;
}

/** Sums the daily deltas per key (or team, user, organisation); an empty id has no row. */
export function totalsBy(deltas: readonly DailyDelta[], id: EntityTable['id']): Array<Totals & Record<string, unknown>> {
  const totals = new Map<string, Totals>();
  for (const delta of deltas) {
    const value = delta[id];
    if (value === '') continue;
    const current = totals.get(value);
    const at = new Date(delta.last_request_at);
    if (!current) {
      totals.set(value, {
        key_alias: delta.key_alias,
        spend_micros: delta.spend_micros,
        spend_nanos: delta.spend_nanos,
        requests: delta.requests,
        failures: delta.failures,
        prompt_tokens: delta.prompt_tokens,
        completion_tokens: delta.completion_tokens,
        last_request_at: at,
      });
      continue;
    }
    if (delta.key_alias !== '') current.key_alias = delta.key_alias;
    current.spend_micros += delta.spend_micros;
    current.spend_nanos += delta.spend_nanos;
    current.requests += delta.requests;
    current.failures += delta.failures;
    current.prompt_tokens += delta.prompt_tokens;
    current.completion_tokens += delta.completion_tokens;
    if (at > current.last_request_at) current.last_request_at = at;
  }
  return [...totals].map(([value, total]) => ({ [id]: value, ...total }));
}

/** Adds what one batch inserted to spend_daily and the per-key, team, user and organisation totals. */
export async function addToAggregates(tx: SqlClient, deltas: readonly DailyDelta[]): Promise<void> {
  if (deltas.length === 0) return;
  await tx.query(UPSERT_DAILY, [jsonbParameter(deltas)]);
  for (const entity of ENTITY_TABLES) {
    const rows = totalsBy(deltas, entity.id);
    if (rows.length > 0) await tx.query(UPSERT_TOTALS.get(entity.table)!, [jsonbParameter(rows)]);
  }
}
