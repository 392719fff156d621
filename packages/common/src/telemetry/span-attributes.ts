// Attribute names, from the OpenTelemetry GenAI semantic conventions where one exists
// (https://opentelemetry.io/docs/specs/semconv/gen-ai/), else under `sluice.`.

export const ATTRIBUTES = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  /** The older name of gen_ai.provider.name, still what many backends read. */
  system: 'gen_ai.system',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  finishReasons: 'gen_ai.response.finish_reasons',
  /** Only with message logging on (litellm_settings.turn_off_message_logging: false). */
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
  errorType: 'error.type',
  serverAddress: 'server.address',
  httpMethod: 'http.request.method',
  httpRoute: 'http.route',
  httpStatus: 'http.response.status_code',
  requestId: 'sluice.request_id',
  modelGroup: 'sluice.model_group',
  deployment: 'sluice.deployment_id',
  attempt: 'sluice.attempt',
  fallback: 'sluice.fallback',
  timeToFirstTokenMs: 'sluice.time_to_first_token_ms',
  keyAlias: 'sluice.key_alias',
  teamId: 'sluice.team_id',
  decision: 'sluice.policy.result',
  costMicros: 'sluice.cost_micros',
  cacheHit: 'sluice.cache_hit',
  overheadMs: 'sluice.overhead_ms',
  stream: 'sluice.stream',
} as const;

/** gen_ai.operation.name for each call type. */
export const OPERATION_NAMES: Record<string, string> = {
  chat_completion: 'chat',
  completion: 'text_completion',
  embedding: 'embeddings',
};
