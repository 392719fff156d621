// /spend/logs rows (LiteLLM's SpendLogs shape) as the Requests page shows them.
import { millisBetween } from './format.js';

export interface SpendLog {
  request_id: string;
  api_key: string;
  spend_micros: number;
  total_tokens: number;
  prompt_tokens: number;
  completion_tokens: number;
  startTime: string | null;
  endTime: string | null;
  completionStartTime: string | null;
  model: string;
  model_id: string;
  model_group: string;
  custom_llm_provider: string;
  api_base: string | null;
  team_id: string | null;
  status: string;
  metadata: { user_api_key_alias?: string | null; http_status?: number | null; error_code?: string | null };
}

export interface RequestRow {
  id: string;
  time: string | null;
  keyHash: string;
  keyAlias: string;
  team: string;
  modelGroup: string;
  deployment: string;
  status: string;
  httpStatus: number | undefined;
  tokens: { prompt: number; completion: number; total: number };
  costMicros: number;
  latencyMs: number | undefined;
  ttftMs: number | undefined;
}

export function requestRow(log: SpendLog): RequestRow {
  const deployment = [log.custom_llm_provider, log.model].filter((part) => part).join('/');
  return {
    id: log.request_id,
    time: log.startTime,
    keyHash: log.api_key,
    keyAlias: log.metadata?.user_api_key_alias || `${log.api_key.slice(0, 10)}…`,
    team: log.team_id ?? '',
    modelGroup: log.model_group,
    deployment: log.model_id ? `${deployment} (${log.model_id})` : deployment,
    status: log.status,
    httpStatus: log.metadata?.http_status ?? undefined,
    tokens: { prompt: log.prompt_tokens, completion: log.completion_tokens, total: log.total_tokens },
    costMicros: log.spend_micros,
    latencyMs: millisBetween(log.startTime, log.endTime),
    ttftMs: millisBetween(log.startTime, log.completionStartTime),
  };
}

export interface RequestFilter {
  model: string;
  status: string;
}

/** The filters the ledger route cannot apply itself (key and team go to /spend/logs as query fields). */
export function filterRequests(rows: readonly RequestRow[], filter: RequestFilter): RequestRow[] {
  return rows.filter((row) => (filter.model === '' || row.modelGroup === filter.model) && (filter.status === '' || row.status === filter.status));
}
