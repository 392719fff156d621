import type { SqlClient } from '@sluice/common';
import { type SpendLogRecord, spendLogColumns } from '../ledger/spend-log-record.js';
import { type DayRange, rangeBounds } from './day-range.js';
import { filterClauses, type SpendFilters } from './spend-filters.js';
import { nanosToUsd } from './usd.js';

export interface SpendLogQuery extends SpendFilters {
  requestId?: string | undefined;
  range?: DayRange | undefined;
  limit: number;
}

const iso = (date: Date | null) => (date ? new Date(date).toISOString() : null);

/** A ledger row in the shape of LiteLLM's LiteLLM_SpendLogs (spend in USD), plus the exact nano-USD. */
function toLiteLlmSpendLog(row: SpendLogRecord) {
  return {
    request_id: row.request_id,
    call_type: row.call_type,
    api_key: row.key_hash,
    spend: nanosToUsd(row.cost_nanos),
    spend_micros: row.cost_nanos / 1000,
    spend_nanos: row.cost_nanos,
    price_source: row.price_source,
    total_tokens: row.total_tokens,
    prompt_tokens: row.prompt_tokens,
    completion_tokens: row.completion_tokens,
    startTime: iso(row.start_time),
    endTime: iso(row.end_time),
    completionStartTime: iso(row.first_token_time),
    model: row.model,
    model_id: row.deployment_id,
    model_group: row.model_group,
    custom_llm_provider: row.provider,
    api_base: row.api_base_host,
    user: row.user_id,
    team_id: row.team_id,
    organization_id: row.organization_id,
    end_user: row.end_user,
    status: row.status,
    cache_hit: row.cache_hit ? 'True' : 'False',
    cache_key: row.cache_key,
    request_tags: row.tags,
    session_id: row.session_id,
    metadata: {
      ...row.metadata,
      user_api_key: row.key_hash,
      user_api_key_alias: row.key_alias,
      user_api_key_team_id: row.team_id,
      user_api_key_user_id: row.user_id,
      user_api_key_org_id: row.organization_id,
      error_code: row.error_code,
      http_status: row.http_status,
      attempts: row.attempts,
      usage_estimated: row.usage_estimated,
      cached_tokens: row.cached_tokens,
      reasoning_tokens: row.reasoning_tokens,
      trace_id: row.trace_id,
      generation_name: row.generation_name,
    },
    messages: row.messages ?? {},
    response: row.response ?? {},
  };
}

export type LiteLlmSpendLog = ReturnType<typeof toLiteLlmSpendLog>;

/** Individual requests from spend_logs, newest first. */
export async function querySpendLogs(sql: SqlClient, query: SpendLogQuery): Promise<LiteLlmSpendLog[]> {
  const params: unknown[] = [];
  const clauses = filterClauses(query, params);
  if (query.requestId !== undefined) {
    params.push(query.requestId);
    clauses.push(`request_id = $${params.length}`);
  }
  if (query.range) {
    const [from, to] = rangeBounds(query.range);
    params.push(from, to);
    clauses.push(`start_time >= $${params.length - 1} AND start_time < $${params.length}`);
  }
  params.push(query.limit);
  const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
  const result = await sql.query<SpendLogRecord>(
    `SELECT ${spendLogColumns()}
     FROM spend_logs ${where}
     ORDER BY start_time DESC, request_id DESC
     LIMIT $${params.length}`,
    params,
  );
  return result.rows.map(toLiteLlmSpendLog);
}
