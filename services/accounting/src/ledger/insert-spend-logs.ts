import type { SqlClient } from '@sluice/common';

// The whole batch travels as one jsonb parameter and is unpacked by jsonb_to_recordset: one statement
// and one round trip per batch, whatever its size. ON CONFLICT DO NOTHING makes a redelivered or
// duplicated event a no-op; RETURNING tells which rows are new.
const INSERT_SPEND_LOGS = `
WITH incoming AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(
    request_id text, key_hash text, key_alias text, team_id text, user_id text, organization_id text,
    end_user text, call_type text, model_group text, deployment_id text, provider text, model text,
    api_base_host text, stream boolean, prompt_tokens integer, completion_tokens integer,
    cached_tokens integer, reasoning_tokens integer, cost_micros bigint, usage_estimated boolean,
    start_time_ms bigint, first_token_time_ms bigint, end_time_ms bigint, overhead_us bigint,
    status text, error_code text, http_status integer, attempts integer, cache_hit boolean,
    cache_key text, tags text[], trace_id text, session_id text, generation_name text,
    metadata jsonb, model_parameters jsonb, messages jsonb, response jsonb)
)
INSERT INTO spend_logs (
  request_id, key_hash, key_alias, team_id, user_id, organization_id, end_user, call_type, model_group,
  deployment_id, provider, model, api_base_host, stream, prompt_tokens, completion_tokens, total_tokens,
  cached_tokens, reasoning_tokens, cost_micros, usage_estimated, start_time, first_token_time, end_time,
  overhead_us, status, error_code, http_status, attempts, cache_hit, cache_key, tags, trace_id,
  session_id, generation_name, metadata, model_parameters, messages, response)
SELECT
  request_id, key_hash, key_alias, team_id, user_id, organization_id, end_user, call_type, model_group,
  deployment_id, provider, model, api_base_host, stream, prompt_tokens, completion_tokens,
  prompt_tokens + completion_tokens, cached_tokens, reasoning_tokens, cost_micros, usage_estimated,
  to_timestamp(start_time_ms / 1000.0), to_timestamp(first_token_time_ms / 1000.0),
  to_timestamp(end_time_ms / 1000.0), overhead_us, status, error_code, http_status, attempts, cache_hit,
  cache_key, coalesce(tags, '{}'), trace_id, session_id, generation_name, coalesce(metadata, '{}'),
  model_parameters, messages, response
FROM incoming
ON CONFLICT (request_id) DO NOTHING
RETURNING request_id`;

/** Inserts the rows; resolves to the request ids that were new. */
export async function insertSpendLogs(tx: SqlClient, rows: Record<string, unknown>[]): Promise<string[]> {
  if (rows.length === 0) return [];
  const result = await tx.query<{ request_id: string }>(INSERT_SPEND_LOGS, [JSON.stringify(rows)]);
  return result.rows.map((row) => row.request_id);
}
