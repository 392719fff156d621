import type { SqlClient } from '@sluice/common';
import { jsonbParameter } from './jsonb-parameter.js';

// The whole batch travels as one JSON parameter and is unpacked by json_to_recordset: one statement
// and one round trip per batch, whatever its size. Plain json, not jsonb: the rows are read once, and
// building jsonb first cost Postgres about half as much again per row (14.3 against 9.8 us, finding 13
// in docs/benchmarks.md); the jsonb columns are made from each row's fields as they are read.
// ON CONFLICT DO NOTHING makes a redelivered or duplicated event a no-op (the key is (request_id,
// start_time), start_time being the partition key, which every delivery of an event carries unchanged:
// see migration 0510), and RETURNING hands back only the rows that are new, grouped the way the daily
// table is keyed, so the aggregates grow by exactly what was inserted.
//
// Rows go in sorted by request_id: two replicas inserting overlapping batches (a duplicate published
// after the dedupe window) then take their index locks in the same order and cannot deadlock.
//
// The same statement queues the new rows for the Langfuse export (trace_outbox), so a committed request
// can never miss its trace, and adds them to the per-tag (an untagged request under the tag '') and per-end-user daily sums (rows in key order,
// for the same reason as above). $2: keep prompts/responses in spend_logs; $3: queue for export; $4: include
// prompts/responses in the export.
const INSERT_SPEND_LOGS = `
WITH incoming AS (
  SELECT * FROM json_to_recordset($1::json) AS r(
    request_id text, key_hash text, key_alias text, team_id text, user_id text, organization_id text,
    end_user text, call_type text, model_group text, deployment_id text, provider text, model text,
    api_base_host text, stream boolean, prompt_tokens bigint, completion_tokens bigint,
    cached_tokens bigint, reasoning_tokens bigint, cost_micros bigint, usage_estimated boolean,
    start_time_ms bigint, first_token_time_ms bigint, end_time_ms bigint, overhead_us bigint,
    status text, error_code text, http_status integer, attempts integer, cache_hit boolean,
    cache_key text, tags text[], trace_id text, session_id text, generation_name text,
    metadata jsonb, model_parameters jsonb, messages jsonb, response jsonb, cost_nanos bigint,
    price_source text, cache_write_5m_tokens integer, cache_write_1h_tokens integer)
),
inserted AS (
  INSERT INTO spend_logs (
    request_id, key_hash, key_alias, team_id, user_id, organization_id, end_user, call_type, model_group,
    deployment_id, provider, model, api_base_host, stream, prompt_tokens, completion_tokens, total_tokens,
    cached_tokens, reasoning_tokens, cost_micros, usage_estimated, start_time, first_token_time, end_time,
    overhead_us, status, error_code, http_status, attempts, cache_hit, cache_key, tags, trace_id,
    session_id, generation_name, metadata, model_parameters, messages, response, cost_nanos, price_source,
    cache_write_5m_tokens, cache_write_1h_tokens)
  SELECT
    request_id, key_hash, key_alias, team_id, user_id, organization_id, end_user, call_type, model_group,
    deployment_id, provider, model, api_base_host, stream, prompt_tokens, completion_tokens,
    prompt_tokens + completion_tokens, cached_tokens, reasoning_tokens, cost_micros, usage_estimated,
    to_timestamp(start_time_ms / 1000.0), to_timestamp(first_token_time_ms / 1000.0),
    to_timestamp(end_time_ms / 1000.0), overhead_us, status, error_code, http_status, attempts, cache_hit,
    cache_key, coalesce(tags, '{}'), trace_id, session_id, generation_name, coalesce(metadata, '{}'),
    model_parameters, CASE WHEN $2 THEN messages END, CASE WHEN $2 THEN response END, cost_nanos,
    coalesce(price_source, ''), coalesce(cache_write_5m_tokens, 0), coalesce(cache_write_1h_tokens, 0)
  FROM incoming
  ORDER BY request_id
  ON CONFLICT (request_id, start_time) DO NOTHING
  RETURNING request_id, key_hash, key_alias, team_id, user_id, organization_id, model_group, model, provider,
    prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, cost_micros, cost_nanos, status, start_time,
    tags, end_user
),
tagged AS (
  INSERT INTO spend_daily_tags (day, tag, model_group, prompt_tokens, completion_tokens, cached_tokens, spend_nanos, requests, successes, failures)
  SELECT (start_time AT TIME ZONE 'UTC')::date, tag, model_group, sum(prompt_tokens), sum(completion_tokens), sum(cached_tokens), sum(cost_nanos),
    count(*), count(*) FILTER (WHERE status = 'success'), count(*) FILTER (WHERE status <> 'success')
  FROM inserted, unnest(CASE WHEN cardinality(tags) = 0 THEN ARRAY[''] ELSE tags END) AS tag
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3
  ON CONFLICT (day, tag, model_group) DO UPDATE SET
    prompt_tokens = spend_daily_tags.prompt_tokens + excluded.prompt_tokens,
    completion_tokens = spend_daily_tags.completion_tokens + excluded.completion_tokens,
    cached_tokens = spend_daily_tags.cached_tokens + excluded.cached_tokens,
    spend_nanos = spend_daily_tags.spend_nanos + excluded.spend_nanos,
    requests = spend_daily_tags.requests + excluded.requests,
    successes = spend_daily_tags.successes + excluded.successes,
    failures = spend_daily_tags.failures + excluded.failures
),
by_end_user AS (
  INSERT INTO spend_daily_end_users (day, end_user, key_hash, prompt_tokens, completion_tokens, spend_nanos, requests)
  SELECT (start_time AT TIME ZONE 'UTC')::date, end_user, key_hash, sum(prompt_tokens), sum(completion_tokens), sum(cost_nanos), count(*)
  FROM inserted
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3
  ON CONFLICT (day, end_user, key_hash) DO UPDATE SET
    prompt_tokens = spend_daily_end_users.prompt_tokens + excluded.prompt_tokens,
    completion_tokens = spend_daily_end_users.completion_tokens + excluded.completion_tokens,
    spend_nanos = spend_daily_end_users.spend_nanos + excluded.spend_nanos,
    requests = spend_daily_end_users.requests + excluded.requests
),
queued AS (
  INSERT INTO trace_outbox (request_id, messages, response)
  SELECT inserted.request_id, CASE WHEN $4 THEN incoming.messages END, CASE WHEN $4 THEN incoming.response END
  FROM inserted JOIN incoming USING (request_id)
  WHERE $3
  ON CONFLICT (request_id) DO NOTHING
)
SELECT
  to_char(start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, key_hash, max(key_alias) AS key_alias, team_id,
  user_id, organization_id, model_group, model, provider,
  sum(prompt_tokens)::bigint AS prompt_tokens, sum(completion_tokens)::bigint AS completion_tokens,
  sum(cached_tokens)::bigint AS cached_tokens, sum(reasoning_tokens)::bigint AS reasoning_tokens,
  sum(cost_micros)::bigint AS spend_micros, sum(cost_nanos)::bigint AS spend_nanos, count(*)::bigint AS requests,
  count(*) FILTER (WHERE status = 'success')::bigint AS successes,
  count(*) FILTER (WHERE status = 'failure')::bigint AS failures,
  max(start_time) AS last_request_at
FROM inserted
GROUP BY 1, key_hash, team_id, user_id, organization_id, model_group, model, provider`;

/** What the rows inserted by one batch add to one spend_daily row. */
export interface DailyDelta {
  day: string;
  key_hash: string;
  key_alias: string;
  team_id: string;
  user_id: string;
  organization_id: string;
  model_group: string;
  model: string;
  provider: string;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  reasoning_tokens: number;
  spend_micros: number;
  spend_nanos: number;
  requests: number;
  successes: number;
  failures: number;
  last_request_at: Date;
}

export interface InsertOptions {
  /** general_settings.store_prompts_in_spend_logs */
  storeMessages: boolean;
  /** Queue every new row for the Langfuse export. */
  exportTraces: boolean;
  /** Message logging is on: the export may carry prompts and responses. */
  exportMessages: boolean;
}

/** Inserts the rows (distinct request ids); resolves to what the new ones add, per daily group. */
export async function insertSpendLogs(tx: SqlClient, rows: Record<string, unknown>[], options: InsertOptions): Promise<DailyDelta[]> {
  if (rows.length === 0) return [];
  const result = await tx.query<DailyDelta>(INSERT_SPEND_LOGS, [
    jsonbParameter(rows),
    options.storeMessages,
    options.exportTraces,
    options.exportTraces && options.exportMessages,
  ]);
  return result.rows;
}
