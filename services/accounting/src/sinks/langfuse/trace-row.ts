import type { SqlClient } from '@sluice/common';

/** A committed ledger row with what the export needs, as loaded from spend_logs and trace_outbox. */
export interface TraceRow {
  request_id: string;
  key_hash: string;
  key_alias: string;
  team_id: string;
  user_id: string;
  organization_id: string;
  end_user: string;
  call_type: string;
  model_group: string;
  deployment_id: string;
  provider: string;
  model: string;
  api_base_host: string;
  stream: boolean;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  reasoning_tokens: number;
  cost_micros: number;
  usage_estimated: boolean;
  start_time: Date;
  first_token_time: Date | null;
  end_time: Date;
  status: string;
  error_code: string;
  http_status: number;
  attempts: number;
  cache_hit: boolean;
  tags: string[];
  trace_id: string;
  session_id: string;
  generation_name: string;
  metadata: Record<string, string>;
  model_parameters: Record<string, unknown> | null;
  /** From the outbox, only when message logging is on. */
  messages: unknown;
  response: unknown;
}

// Only rows still in the outbox: a request already exported (and deleted) is not sent again.
const LOAD_TRACE_ROWS = `
SELECT s.request_id, s.key_hash, s.key_alias, s.team_id, s.user_id, s.organization_id, s.end_user, s.call_type,
  s.model_group, s.deployment_id, s.provider, s.model, s.api_base_host, s.stream, s.prompt_tokens,
  s.completion_tokens, s.cached_tokens, s.reasoning_tokens, s.cost_micros, s.usage_estimated, s.start_time,
  s.first_token_time, s.end_time, s.status, s.error_code, s.http_status, s.attempts, s.cache_hit, s.tags,
  s.trace_id, s.session_id, s.generation_name, s.metadata, s.model_parameters, o.messages, o.response
FROM trace_outbox o JOIN spend_logs s USING (request_id)
WHERE o.request_id = ANY($1::text[])
ORDER BY s.request_id`;

export async function loadTraceRows(sql: SqlClient, requestIds: readonly string[]): Promise<TraceRow[]> {
  const result = await sql.query<TraceRow>(LOAD_TRACE_ROWS, [requestIds]);
  return result.rows.map((row) => ({ ...row, start_time: new Date(row.start_time), end_time: new Date(row.end_time), first_token_time: row.first_token_time ? new Date(row.first_token_time) : null }));
}
