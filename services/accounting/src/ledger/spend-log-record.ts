/** A spend_logs row as read back (see migration 0001 for the table; `total_tokens` and text defaults). */
export interface SpendLogRecord {
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
  total_tokens: number;
  cached_tokens: number;
  reasoning_tokens: number;
  /** Rounded; kept for older readers. */
  cost_micros: number;
  cost_nanos: number;
  price_source: string;
  cache_write_5m_tokens: number;
  cache_write_1h_tokens: number;
  usage_estimated: boolean;
  start_time: Date;
  first_token_time: Date | null;
  end_time: Date;
  status: string;
  error_code: string;
  http_status: number;
  attempts: number;
  cache_hit: boolean;
  cache_key: string;
  tags: string[];
  trace_id: string;
  session_id: string;
  generation_name: string;
  metadata: Record<string, string>;
  model_parameters: Record<string, unknown> | null;
  messages: unknown;
  response: unknown;
}

/** Every column above, for SELECT lists; `prefix` qualifies them (e.g. "s."). */
export function spendLogColumns(prefix = '', except: ReadonlyArray<keyof SpendLogRecord> = []): string {
  const columns: Array<keyof SpendLogRecord> = [
    'request_id', 'key_hash', 'key_alias', 'team_id', 'user_id', 'organization_id', 'end_user', 'call_type',
    'model_group', 'deployment_id', 'provider', 'model', 'api_base_host', 'stream', 'prompt_tokens',
    'completion_tokens', 'total_tokens', 'cached_tokens', 'reasoning_tokens', 'cost_micros', 'usage_estimated',
    'start_time', 'first_token_time', 'end_time', 'status', 'error_code', 'http_status', 'attempts', 'cache_hit',
    'cache_key', 'tags', 'trace_id', 'session_id', 'generation_name', 'metadata', 'model_parameters', 'messages',
    'response', 'cost_nanos', 'price_source', 'cache_write_5m_tokens', 'cache_write_1h_tokens',
  ];
  return columns.filter((column) => !except.includes(column)).map((column) => `${prefix}${column}`).join(', ');
}
