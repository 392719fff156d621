// The LiteLLM proxy config format (model_list / litellm_params / model_info / router_settings /
// litellm_settings / general_settings), so a LiteLLM user can bring a config file unchanged. Keys we do
// not use are allowed and ignored; keys we use are type-checked.
import { type Static, Type } from '@sinclair/typebox';
import { DurationSchema, LimitFields } from '../admin/limit-fields.js';

const Num = Type.Number();
const Str = Type.String();
const StrList = Type.Array(Type.String());
const open = { additionalProperties: true } as const;
/** LiteLLM writes ports as numbers or strings: [{"host": "10.0.0.1", "port": "7001"}]. */
const RedisStartupNodesSchema = Type.Array(
  Type.Union([Type.Object({ host: Str, port: Type.Optional(Type.Union([Num, Str])) }, open), Str]),
  { minItems: 1 },
);

/** `[{"gpt-4o": ["claude-3-5-sonnet"]}]`, the LiteLLM fallback shape. */
export const FallbackListSchema = Type.Array(Type.Record(Type.String(), StrList));

/** LiteLLM compatibility: both forms of a router_settings.model_group_alias value. */
export const ModelGroupAliasSchema = Type.Union([
  Type.String({ minLength: 1 }),
  Type.Object({ model: Type.String({ minLength: 1 }), hidden: Type.Optional(Type.Boolean()) }, open),
]);

/** LiteLLM's RetryPolicy / AllowedFailsPolicy: a count per exception class name. */
const PerErrorClassSchema = Type.Record(Type.String(), Num);

export const LitellmParamsSchema = Type.Object(
  {
    model: Type.String({ minLength: 1 }),
    api_base: Type.Optional(Str),
    api_key: Type.Optional(Str),
    api_version: Type.Optional(Str),
    organization: Type.Optional(Str),
    rpm: Type.Optional(Num),
    tpm: Type.Optional(Num),
    weight: Type.Optional(Num),
    order: Type.Optional(Num),
    max_parallel_requests: Type.Optional(Num),
    timeout: Type.Optional(Num),
    stream_timeout: Type.Optional(Num),
    cooldown_time: Type.Optional(Num),
    max_retries: Type.Optional(Num),
    input_cost_per_token: Type.Optional(Num),
    output_cost_per_token: Type.Optional(Num),
    extra_headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    aws_access_key_id: Type.Optional(Str),
    aws_secret_access_key: Type.Optional(Str),
    aws_session_token: Type.Optional(Str),
    aws_region_name: Type.Optional(Str),
    aws_bedrock_runtime_endpoint: Type.Optional(Str),
    vertex_project: Type.Optional(Str),
    vertex_location: Type.Optional(Str),
    vertex_credentials: Type.Optional(Str),
    drop_params: Type.Optional(Type.Boolean()),
    // LiteLLM compatibility: request defaults of the deployment; a value the client sends wins.
    temperature: Type.Optional(Num),
    max_tokens: Type.Optional(Num),
    max_completion_tokens: Type.Optional(Num),
    top_p: Type.Optional(Num),
    frequency_penalty: Type.Optional(Num),
    presence_penalty: Type.Optional(Num),
    seed: Type.Optional(Num),
    stop: Type.Optional(Type.Union([Str, StrList])),
    reasoning_effort: Type.Optional(Str),
    /** Tag routing (with router_settings.enable_tag_filtering): the request tags this deployment serves. */
    tags: Type.Optional(StrList),
  },
  open,
);

export const ModelInfoSchema = Type.Object(
  {
    id: Type.Optional(Str),
    mode: Type.Optional(
      Type.Union([
        Type.Literal('chat'),
        Type.Literal('completion'),
        Type.Literal('embedding'),
        Type.Literal('image_generation'),
        Type.Literal('audio_transcription'),
        Type.Literal('audio_speech'),
        Type.Literal('rerank'),
        Type.Literal('batch'),
        Type.Literal('realtime'),
        Type.Literal('responses'),
      ]),
    ),
    base_model: Type.Optional(Str),
    input_cost_per_token: Type.Optional(Num),
    output_cost_per_token: Type.Optional(Num),
    max_tokens: Type.Optional(Num),
    max_input_tokens: Type.Optional(Num),
    max_output_tokens: Type.Optional(Num),
    access_groups: Type.Optional(StrList),
  },
  open,
);

export const ModelEntrySchema = Type.Object(
  {
    model_name: Type.String({ minLength: 1 }),
    litellm_params: LitellmParamsSchema,
    model_info: Type.Optional(ModelInfoSchema),
  },
  open,
);

export const RouterSettingsSchema = Type.Object(
  {
    routing_strategy: Type.Optional(
      Type.Union([
        Type.Literal('simple-shuffle'),
        Type.Literal('least-busy'),
        Type.Literal('latency-based-routing'),
        Type.Literal('usage-based-routing'),
        Type.Literal('usage-based-routing-v2'),
        // LiteLLM compatibility: the cheapest deployment by price.
        Type.Literal('cost-based-routing'),
      ]),
    ),
    routing_strategy_args: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    num_retries: Type.Optional(Num),
    retry_after: Type.Optional(Num),
    timeout: Type.Optional(Num),
    stream_timeout: Type.Optional(Num),
    allowed_fails: Type.Optional(Num),
    cooldown_time: Type.Optional(Num),
    disable_cooldowns: Type.Optional(Type.Boolean()),
    fallbacks: Type.Optional(FallbackListSchema),
    context_window_fallbacks: Type.Optional(FallbackListSchema),
    content_policy_fallbacks: Type.Optional(FallbackListSchema),
    default_fallbacks: Type.Optional(StrList),
    max_fallbacks: Type.Optional(Num),
    /** `"alias": "group"`, or `"alias": {model: "group", hidden: true}` (hidden: not listed by /v1/models). */
    model_group_alias: Type.Optional(Type.Record(Type.String(), ModelGroupAliasSchema)),
    redis_host: Type.Optional(Str),
    redis_port: Type.Optional(Num),
    redis_password: Type.Optional(Str),
    redis_url: Type.Optional(Str),
    /** A Redis Cluster: [{host, port}, ...] (LiteLLM's cache_params name; REDIS_CLUSTER_NODES wins). */
    redis_startup_nodes: Type.Optional(RedisStartupNodesSchema),
    /** Sluice: seconds a stream may stay silent between two chunks before it is cut. */
    stream_idle_timeout: Type.Optional(Num),
    /** Sluice: seconds between SSE keep-alive comments while a stream waits for its first token. */
    keep_alive_interval: Type.Optional(Num),
    // LiteLLM compatibility: tag routing.
    enable_tag_filtering: Type.Optional(Type.Boolean()),
    /** true (default): a deployment with any of the request's tags; false: only one with all of them. */
    tag_filtering_match_any: Type.Optional(Type.Boolean()),
    /** Skip deployments whose model_info context window is smaller than the prompt. */
    enable_pre_call_checks: Type.Optional(Type.Boolean()),
    // LiteLLM compatibility: {BadRequestErrorRetries: 0, TimeoutErrorRetries: 3, ...} and
    // {TimeoutErrorAllowedFails: 5, ...}, per error class; model_group_retry_policy is per model group.
    retry_policy: Type.Optional(PerErrorClassSchema),
    model_group_retry_policy: Type.Optional(Type.Record(Type.String(), PerErrorClassSchema)),
    allowed_fails_policy: Type.Optional(PerErrorClassSchema),
    /** max_parallel_requests of every deployment that does not set its own. */
    default_max_parallel_requests: Type.Optional(Num),
  },
  open,
);

export const CacheParamsSchema = Type.Object(
  {
    type: Type.Optional(Str),
    host: Type.Optional(Str),
    port: Type.Optional(Num),
    password: Type.Optional(Str),
    url: Type.Optional(Str),
    ttl: Type.Optional(Num),
    namespace: Type.Optional(Str),
    supported_call_types: Type.Optional(StrList),
    mode: Type.Optional(Type.Union([Type.Literal('default_on'), Type.Literal('default_off')])),
    username: Type.Optional(Str),
    ssl: Type.Optional(Type.Boolean()),
    /** Sluice: keep each team's (or team-less key's) cached answers apart from every other's. */
    namespace_per_team: Type.Optional(Type.Boolean()),
    // LiteLLM compatibility: the router_settings names of the same three fields.
    redis_host: Type.Optional(Str),
    redis_port: Type.Optional(Num),
    redis_password: Type.Optional(Str),
    redis_startup_nodes: Type.Optional(RedisStartupNodesSchema),
  },
  open,
);

export const LitellmSettingsSchema = Type.Object(
  {
    drop_params: Type.Optional(Type.Boolean()),
    num_retries: Type.Optional(Num),
    request_timeout: Type.Optional(Num),
    turn_off_message_logging: Type.Optional(Type.Boolean()),
    success_callback: Type.Optional(StrList),
    failure_callback: Type.Optional(StrList),
    callbacks: Type.Optional(StrList),
    cache: Type.Optional(Type.Boolean()),
    cache_params: Type.Optional(CacheParamsSchema),
    fallbacks: Type.Optional(FallbackListSchema),
    context_window_fallbacks: Type.Optional(FallbackListSchema),
    content_policy_fallbacks: Type.Optional(FallbackListSchema),
    default_fallbacks: Type.Optional(StrList),
    max_budget: Type.Optional(Num),
    budget_duration: Type.Optional(Str),
    log_level: Type.Optional(Str),
    /** The model group of a request that names no model. */
    default_model: Type.Optional(Type.String({ minLength: 1 })),
  },
  open,
);

/**
 * Small-team deployments (issue 22): a client key declared in the config, with the limits of an ordinary
 * virtual key. Closed, so a misspelt limit stops start-up instead of silently leaving a key unlimited.
 */
export const ClientKeyEntrySchema = Type.Object(
  { key: Type.String({ minLength: 1 }), key_alias: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })), ...LimitFields },
  { additionalProperties: false },
);
/** A list of keys (or entries), or one string of comma-separated keys (`os.environ/API_KEYS`). */
export const ClientKeysSchema = Type.Union([Str, Type.Array(Type.Union([Str, ClientKeyEntrySchema]))]);

export const GeneralSettingsSchema = Type.Object(
  {
    master_key: Type.Optional(Str),
    database_url: Type.Optional(Str),
    max_request_size_mb: Type.Optional(Num),
    allow_requests_on_db_unavailable: Type.Optional(Type.Boolean()),
    store_prompts_in_spend_logs: Type.Optional(Type.Boolean()),
    user_api_key_cache_ttl: Type.Optional(Num),
    /** Tokens reserved against TPM for a request that sets no max_tokens. */
    default_max_tokens_estimate: Type.Optional(Num),
    /** "fail_closed" (default) or "fail_open" for RPM/TPM when Redis is unreachable. */
    rate_limit_failure_mode: Type.Optional(Type.Union([Type.Literal('fail_closed'), Type.Literal('fail_open')])),
    litellm_key_header_name: Type.Optional(Str),
    // Small-team deployments (issue 22): admin routes that change keys, teams, users, organisations,
    // budgets or customers answer 403; and client keys declared here, synchronised by policy.
    disable_key_management: Type.Optional(Type.Boolean()),
    client_keys: Type.Optional(ClientKeysSchema),
    // Alerts and model health (issue 21): channels ("slack" with SLACK_WEBHOOK_URL, "webhook" with
    // WEBHOOK_URL), which alerts (LiteLLM's alert_types; budget alerts are "budget_alerts"), and the
    // background health checks of every deployment.
    alerting: Type.Optional(Type.Array(Str)),
    alert_types: Type.Optional(Type.Array(Str)),
    alerting_threshold: Type.Optional(Num),
    background_health_checks: Type.Optional(Type.Boolean()),
    /** Seconds between background health checks (LiteLLM's default: 300). */
    health_check_interval: Type.Optional(Num),
    // The ledger over years (issue 21): spend_logs partitions older than this are dropped (LiteLLM's
    // duration format, e.g. "30d", "1mo"); the aggregates are kept. The interval is how often that runs (1d).
    maximum_spend_logs_retention_period: Type.Optional(DurationSchema),
    maximum_spend_logs_retention_interval: Type.Optional(DurationSchema),
    // Admin console (issue 18): true = the edge serves no /ui (404), for deployments that want no UI.
    disable_admin_ui: Type.Optional(Type.Boolean()),
    // LiteLLM compatibility: settings Sluice does not implement that the operator accepts being ignored.
    /** Paths such as "general_settings.custom_auth" that may be present although Sluice refuses them. */
    sluice_ignore_unsupported: Type.Optional(StrList),
    // Pricing (packages/pricing): an operator's prices file in LiteLLM's model_prices_and_context_window.json
    // format, extending and overriding the built-in table; and whether a budgeted caller may use a model
    // nothing prices (default false: refused, because such a request would cost $0 against the budget).
    prices_file: Type.Optional(Str),
    allow_unpriced_models: Type.Optional(Type.Boolean()),
    // Models in the database (issue 21): /model/new, /model/update, /model/delete; the router merges them
    // with model_list and every replica picks up a change within a second.
    store_model_in_db: Type.Optional(Type.Boolean()),
  },
  open,
);

export const ConfigSchema = Type.Object(
  {
    model_list: Type.Array(ModelEntrySchema, { default: [] }),
    router_settings: Type.Optional(RouterSettingsSchema),
    litellm_settings: Type.Optional(LitellmSettingsSchema),
    general_settings: Type.Optional(GeneralSettingsSchema),
    environment_variables: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  open,
);

export type GatewayConfig = Static<typeof ConfigSchema>;
export type ModelEntry = Static<typeof ModelEntrySchema>;
export type LitellmParams = Static<typeof LitellmParamsSchema>;
export type ModelInfo = Static<typeof ModelInfoSchema>;
export type RouterSettings = Static<typeof RouterSettingsSchema>;
export type LitellmSettings = Static<typeof LitellmSettingsSchema>;
export type GeneralSettings = Static<typeof GeneralSettingsSchema>;
export type FallbackList = Static<typeof FallbackListSchema>;
export type ClientKeyEntry = Static<typeof ClientKeyEntrySchema>;
