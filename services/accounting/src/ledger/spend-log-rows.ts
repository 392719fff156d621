import { type UsageEvent, UsageStatus } from '@sluice/proto';

const STATUS: Record<UsageStatus, string> = {
  [UsageStatus.USAGE_STATUS_UNSPECIFIED]: 'unknown',
  [UsageStatus.USAGE_STATUS_SUCCESS]: 'success',
  [UsageStatus.USAGE_STATUS_FAILURE]: 'failure',
  [UsageStatus.USAGE_STATUS_CANCELLED]: 'cancelled',
};

function jsonOrNull(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A usage event as the row json_to_recordset reads (see insert-spend-logs.ts for the column list). */
export function toSpendLogRow(event: UsageEvent): Record<string, unknown> {
  return {
    request_id: event.requestId,
    key_hash: event.keyHash,
    key_alias: event.keyAlias,
    team_id: event.teamId,
    user_id: event.userId,
    organization_id: event.organizationId,
    end_user: event.endUser,
    call_type: event.callType,
    model_group: event.modelGroup,
    deployment_id: event.deploymentId,
    provider: event.provider,
    model: event.model,
    api_base_host: event.apiBaseHost,
    stream: event.stream,
    prompt_tokens: event.promptTokens,
    completion_tokens: event.completionTokens,
    cached_tokens: event.cachedTokens,
    reasoning_tokens: event.reasoningTokens,
    cost_micros: event.costMicros,
    usage_estimated: event.usageEstimated,
    start_time_ms: event.startTimeMs,
    first_token_time_ms: event.firstTokenTimeMs || null,
    end_time_ms: event.endTimeMs,
    overhead_us: event.overheadUs,
    status: STATUS[event.status] ?? 'unknown',
    error_code: event.errorCode,
    http_status: event.httpStatus,
    attempts: event.attempts,
    cache_hit: event.cacheHit,
    cache_key: event.cacheKey,
    tags: event.tags,
    trace_id: event.traceId,
    session_id: event.sessionId,
    generation_name: event.generationName,
    metadata: event.metadata,
    model_parameters: jsonOrNull(event.modelParametersJson),
    messages: jsonOrNull(event.messagesJson),
    response: jsonOrNull(event.responseJson),
    // An event from an older edge has only the rounded micro-USD.
    cost_nanos: event.costNanos !== 0 ? event.costNanos : event.costMicros * 1000,
    price_source: event.priceSource,
    cache_write_5m_tokens: event.cacheWrite5mTokens,
    cache_write_1h_tokens: event.cacheWrite1hTokens,
  };
}
