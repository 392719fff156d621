// The one place that reads the environment. Every setting maps 1:1 to an environment variable (and, in
// the Helm chart, to a value that sets that variable); services receive a Settings object and never
// look at process.env themselves.

import { isTrue, parseClusterNodes, type RedisClusterSettings } from './redis-cluster-settings.js';

export type Environment = Readonly<Record<string, string | undefined>>;

export interface ListenSettings {
  host: string;
  port: number;
}

export interface UsageStreamSettings {
  /** JetStream stream that holds usage events. */
  stream: string;
  /** Subject the edge publishes to. */
  subject: string;
  /** Publish deduplication window (Nats-Msg-Id), milliseconds. */
  duplicateWindowMs: number;
  /** How long events are kept, milliseconds; 0 = forever (until limits). */
  maxAgeMs: number;
  /** Size cap of the stream in bytes (oldest events dropped first); 0 = no cap. */
  maxBytes: number;
  replicas: number;
  storage: 'file' | 'memory';
  /** Durable consumer names. */
  accountingConsumer: string;
  policyConsumer: string;
  /** Deliveries before an event is parked in the dead-letter table. */
  maxDeliver: number;
  ackWaitMs: number;
}

export interface LangfuseSettings {
  /** Base URL; traces go to {host}/api/public/otel/v1/traces. */
  host: string;
  publicKey: string | undefined;
  secretKey: string | undefined;
  /** Traces per OTLP request. */
  batchSize: number;
  /** First retry delay of a failed export, doubled per attempt (capped at 5 minutes). */
  retryBaseMs: number;
  /** A queued trace not exported or retried for this long is queued again (the queue lost it). */
  requeueAfterMs: number;
}

/** OpenTelemetry tracing: on when an OTLP endpoint is set; the SDK reads the other OTEL_* variables itself. */
export interface TelemetrySettings {
  /** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT. */
  otlpEndpoint: string | undefined;
  /** OTEL_SERVICE_NAME: replaces the service's own name (sluice-edge, ...) when set. */
  serviceName: string | undefined;
  /** OTEL_SDK_DISABLED=true, or OTEL_TRACES_EXPORTER=none. */
  disabled: boolean;
}

export interface Settings {
  /** LiteLLM-format config file. */
  configPath: string | undefined;
  /** LOG_LEVEL; when unset, litellm_settings.log_level from the config, else info. */
  logLevel: string | undefined;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  /** REDIS_CLUSTER_NODES (LiteLLM's name): a Redis Cluster instead of REDIS_URL's single server. */
  redisCluster: RedisClusterSettings | undefined;
  natsUrl: string | undefined;
  /** Prefix for every Redis key, so deployments (and test runs) can share a Redis. */
  redisPrefix: string;
  usage: UsageStreamSettings;
  edge: ListenSettings & {
    bodyLimitBytes: number;
    /** How long open streams may run on after SIGTERM before they are ended with an error event. */
    drainTimeoutMs: number;
    /** Private side port for /metrics (and health): metrics name key aliases and teams, so never the API port. */
    metricsPort: number;
  };
  policy: ListenSettings & { httpPort: number };
  router: ListenSettings & { httpPort: number };
  accounting: ListenSettings & { httpPort: number };
  /** gRPC targets the edge dials. */
  policyAddress: string;
  routerAddress: string;
  accountingAddress: string;
  /** Deadline for a policy decision, milliseconds. */
  policyDeadlineMs: number;
  /** Multiplexed streams the edge keeps to policy and to the router, each on its own connection. */
  grpcStreams: number;
  /** A stream moves to a fresh connection after this long, so traffic reaches newly added replicas. */
  grpcStreamRotateMs: number;
  /** Optional HMAC pepper for key hashes; when unset keys are stored as plain SHA-256. */
  keyPepper: string | undefined;
  /**
   * SLUICE_INTERNAL_TOKEN: the shared secret every internal gRPC call carries (the same on every
   * service). Required unless SLUICE_INTERNAL_AUTH=none (`internalAuth: 'none'`).
   */
  internalToken: string | undefined;
  internalAuth: 'token' | 'none';
  /** Drain budget for the gRPC services and accounting on SIGTERM. */
  shutdownTimeoutMs: number;
  /**
   * Accounting's ledger batches: up to this many events, or this long after the first one; this many
   * batches are written at once (in separate transactions).
   */
  ledger: { batchSize: number; batchWaitMs: number; concurrency: number };
  /** Langfuse export (with litellm_settings.success_callback: ["langfuse"]). */
  langfuse: LangfuseSettings;
  /** Policy releases a reservation whose request never reported usage after this long. */
  policyHoldTtlMs: number;
  /**
   * Admission from leased quota (issue 20; docs/limits.md, "Leases"): SLUICE_LEASES=off makes every
   * request a policy decision again. A lease runs at most `durationMs`; one its edge never gives back
   * frees its money `marginMs` after its end.
   */
  leases: { enabled: boolean; durationMs: number; marginMs: number };
  // Responses API (inbound formats): how long the router keeps responses created with store: true.
  /** SLUICE_RESPONSES_RETENTION_HOURS; 0 keeps nothing (previous_response_id and GET then find nothing). */
  responsesRetentionHours: number;
  /** How often policy looks for budgets whose period ended. */
  budgetResetIntervalMs: number;
  /** The environment, for `os.environ/NAME` values in the config file. */
  env: Environment;
  telemetry: TelemetrySettings;
  // Small-team deployments (issue 22): embedded mode that keeps its data.
  /** SLUICE_DATA_DIR: embedded mode keeps its PGlite database (keys and the ledger) in this directory. */
  dataDir: string | undefined;
  /** Alerts (general_settings.alerting): where they go and how delivery is retried. */
  alerting: AlertingSettings;
  // Admin console (issue 18).
  /** DISABLE_ADMIN_UI=true (LiteLLM's variable): the edge serves no /ui, as general_settings.disable_admin_ui. */
  disableAdminUi: boolean;
  // LiteLLM compatibility (issue 15): Redis as separate fields, which LiteLLM's production guide prefers.
  /** REDIS_HOST / REDIS_PORT / REDIS_PASSWORD; they make redisUrl when REDIS_URL is unset. */
  redisParts: { host: string | undefined; port: number | undefined; password: string | undefined };
  /** Live reload (issue 21): the config file and its os.file/ references are watched and re-read. */
  configReload: ConfigReloadSettings;
  /**
   * LITELLM_SALT_KEY (LiteLLM's name): encrypts the litellm_params of models stored in the database
   * (store_model_in_db). Never change it once models are stored. Unset: the master key, as in LiteLLM.
   */
  modelEncryptionKey: string | undefined;
}

export interface ConfigReloadSettings {
  /** SLUICE_CONFIG_WATCH=false: only SIGHUP reloads. */
  watch: boolean;
  /** SLUICE_CONFIG_RELOAD_DEBOUNCE_MS: a burst of file events (a ConfigMap swap is several) is one reload. */
  debounceMs: number;
  /** SLUICE_CONFIG_POLL_INTERVAL_MS: the files are also re-hashed this often, for file systems whose events get lost; 0 = never. */
  pollIntervalMs: number;
}

/** Alert channels' URLs (secrets: never logged) and delivery retries; used by accounting. */
export interface AlertingSettings {
  /** SLACK_WEBHOOK_URL: a Slack incoming webhook, for alerting: ["slack"]. */
  slackWebhookUrl: string | undefined;
  /** WEBHOOK_URL: any HTTP endpoint that takes a JSON POST, for alerting: ["webhook"]. */
  webhookUrl: string | undefined;
  /** Attempts in a row before an alert waits for the next sweep (SLUICE_ALERT_ATTEMPTS). */
  attempts: number;
  /** First retry delay, doubled per attempt (SLUICE_ALERT_RETRY_BASE_MS). */
  retryBaseMs: number;
  /** How often undelivered alerts are tried again (SLUICE_ALERT_SWEEP_INTERVAL_MS). */
  sweepIntervalMs: number;
}

function text(env: Environment, name: string, fallback: string): string {
  const value = env[name];
  return value === undefined || value === '' ? fallback : value;
}

function optionalText(env: Environment, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Environment, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`environment variable ${name} must be a non-negative integer, got "${raw}"`);
  }
  return value;
}

function optionalInteger(env: Environment, name: string): number | undefined {
  return optionalText(env, name) === undefined ? undefined : integer(env, name, 0);
}

/** `redis://[:password@]host:port`, the URL of LiteLLM's separate redis host/port/password fields. */
export function redisUrlFromParts(parts: { host?: string | undefined; port?: number | undefined; password?: string | undefined }): string | undefined {
  if (!parts.host) return undefined;
  const auth = parts.password ? `:${encodeURIComponent(parts.password)}@` : '';
  const host = parts.host.includes(':') && !parts.host.startsWith('[') ? `[${parts.host}]` : parts.host;
  return `redis://${auth}${host}:${parts.port ?? 6379}`;
}

function clusterFromEnvironment(env: Environment, password: string | undefined): RedisClusterSettings | undefined {
  const nodes = parseClusterNodes(optionalText(env, 'REDIS_CLUSTER_NODES'), 'environment variable REDIS_CLUSTER_NODES');
  if (!nodes) return undefined;
  return { nodes, username: optionalText(env, 'REDIS_USERNAME'), password, tls: isTrue(optionalText(env, 'REDIS_SSL')) };
}

export function loadSettings(env: Environment = process.env): Settings {
  const storage = text(env, 'SLUICE_USAGE_STORAGE', 'file');
  if (storage !== 'file' && storage !== 'memory') {
    throw new Error(`environment variable SLUICE_USAGE_STORAGE must be "file" or "memory", got "${storage}"`);
  }
  const grpcHost = text(env, 'SLUICE_GRPC_HOST', '127.0.0.1');
  const internalAuth = text(env, 'SLUICE_INTERNAL_AUTH', 'token');
  if (internalAuth !== 'token' && internalAuth !== 'none') {
    throw new Error(`environment variable SLUICE_INTERNAL_AUTH must be "token" or "none", got "${internalAuth}"`);
  }
  const policyPort = integer(env, 'SLUICE_POLICY_PORT', 4010);
  const routerPort = integer(env, 'SLUICE_ROUTER_PORT', 4020);
  const accountingPort = integer(env, 'SLUICE_ACCOUNTING_PORT', 4030);
  const redisParts = {
    host: optionalText(env, 'REDIS_HOST'),
    port: optionalInteger(env, 'REDIS_PORT'),
    password: optionalText(env, 'REDIS_PASSWORD'),
  };
  return {
    configPath: optionalText(env, 'SLUICE_CONFIG'),
    logLevel: optionalText(env, 'LOG_LEVEL'),
    databaseUrl: optionalText(env, 'DATABASE_URL'),
    redisUrl: optionalText(env, 'REDIS_URL') ?? redisUrlFromParts(redisParts),
    redisCluster: clusterFromEnvironment(env, redisParts.password),
    natsUrl: optionalText(env, 'NATS_URL'),
    redisPrefix: text(env, 'SLUICE_REDIS_PREFIX', 'sluice:'),
    usage: {
      stream: text(env, 'SLUICE_USAGE_STREAM', 'SLUICE_USAGE'),
      subject: text(env, 'SLUICE_USAGE_SUBJECT', 'sluice.usage.v1'),
      duplicateWindowMs: integer(env, 'SLUICE_USAGE_DUPLICATE_WINDOW_MS', 120_000),
      maxAgeMs: integer(env, 'SLUICE_USAGE_MAX_AGE_MS', 7 * 24 * 3_600_000),
      maxBytes: integer(env, 'SLUICE_USAGE_MAX_BYTES', 0),
      replicas: integer(env, 'SLUICE_USAGE_REPLICAS', 1),
      storage,
      accountingConsumer: text(env, 'SLUICE_USAGE_ACCOUNTING_CONSUMER', 'accounting'),
      policyConsumer: text(env, 'SLUICE_USAGE_POLICY_CONSUMER', 'policy'),
      maxDeliver: integer(env, 'SLUICE_USAGE_MAX_DELIVER', 5),
      ackWaitMs: integer(env, 'SLUICE_USAGE_ACK_WAIT_MS', 30_000),
    },
    edge: {
      host: text(env, 'SLUICE_EDGE_HOST', '127.0.0.1'),
      port: integer(env, 'SLUICE_EDGE_PORT', 4000),
      bodyLimitBytes: integer(env, 'SLUICE_BODY_LIMIT_BYTES', 10 * 1024 * 1024),
      drainTimeoutMs: integer(env, 'SLUICE_DRAIN_TIMEOUT_MS', 30_000),
      metricsPort: integer(env, 'SLUICE_EDGE_METRICS_PORT', 4001),
    },
    policy: { host: grpcHost, port: policyPort, httpPort: integer(env, 'SLUICE_POLICY_HTTP_PORT', 4011) },
    router: { host: grpcHost, port: routerPort, httpPort: integer(env, 'SLUICE_ROUTER_HTTP_PORT', 4021) },
    accounting: {
      host: grpcHost,
      port: accountingPort,
      httpPort: integer(env, 'SLUICE_ACCOUNTING_HTTP_PORT', 4031),
    },
    policyAddress: text(env, 'SLUICE_POLICY_ADDRESS', `127.0.0.1:${policyPort}`),
    routerAddress: text(env, 'SLUICE_ROUTER_ADDRESS', `127.0.0.1:${routerPort}`),
    accountingAddress: text(env, 'SLUICE_ACCOUNTING_ADDRESS', `127.0.0.1:${accountingPort}`),
    policyDeadlineMs: integer(env, 'SLUICE_POLICY_DEADLINE_MS', 1_000),
    grpcStreams: Math.max(1, integer(env, 'SLUICE_GRPC_STREAMS', 2)),
    grpcStreamRotateMs: integer(env, 'SLUICE_GRPC_STREAM_ROTATE_MS', 120_000),
    keyPepper: optionalText(env, 'SLUICE_KEY_PEPPER'),
    internalToken: optionalText(env, 'SLUICE_INTERNAL_TOKEN'),
    internalAuth,
    shutdownTimeoutMs: integer(env, 'SLUICE_SHUTDOWN_TIMEOUT_MS', 10_000),
    ledger: {
      batchSize: integer(env, 'SLUICE_LEDGER_BATCH_SIZE', 1_000),
      batchWaitMs: integer(env, 'SLUICE_LEDGER_BATCH_WAIT_MS', 1_000),
      concurrency: integer(env, 'SLUICE_LEDGER_CONCURRENCY', 2),
    },
    langfuse: {
      host: text(env, 'LANGFUSE_HOST', 'https://cloud.langfuse.com').replace(/\/+$/, ''),
      publicKey: optionalText(env, 'LANGFUSE_PUBLIC_KEY'),
      secretKey: optionalText(env, 'LANGFUSE_SECRET_KEY'),
      batchSize: integer(env, 'SLUICE_LANGFUSE_BATCH_SIZE', 200),
      retryBaseMs: integer(env, 'SLUICE_LANGFUSE_RETRY_BASE_MS', 1_000),
      requeueAfterMs: integer(env, 'SLUICE_LANGFUSE_REQUEUE_AFTER_MS', 15 * 60_000),
    },
    policyHoldTtlMs: integer(env, 'SLUICE_POLICY_HOLD_TTL_MS', 900_000),
    leases: {
      enabled: text(env, 'SLUICE_LEASES', 'on').toLowerCase() !== 'off',
      // An admin change waits for leases to come back at most 5 s (see announce-changes.ts).
      durationMs: Math.min(5_000, Math.max(100, integer(env, 'SLUICE_LEASE_MS', 1_000))),
      marginMs: integer(env, 'SLUICE_LEASE_MARGIN_MS', 60_000),
    },
    // Responses API: 30 days, as OpenAI keeps stored responses.
    responsesRetentionHours: integer(env, 'SLUICE_RESPONSES_RETENTION_HOURS', 30 * 24),
    budgetResetIntervalMs: integer(env, 'SLUICE_BUDGET_RESET_INTERVAL_MS', 10_000),
    env,
    telemetry: {
      otlpEndpoint: optionalText(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? optionalText(env, 'OTEL_EXPORTER_OTLP_ENDPOINT'),
      serviceName: optionalText(env, 'OTEL_SERVICE_NAME'),
      disabled: text(env, 'OTEL_SDK_DISABLED', 'false').toLowerCase() === 'true' || text(env, 'OTEL_TRACES_EXPORTER', 'otlp') === 'none',
    },
    // Small-team deployments (issue 22).
    dataDir: optionalText(env, 'SLUICE_DATA_DIR'),
    alerting: {
      slackWebhookUrl: optionalText(env, 'SLACK_WEBHOOK_URL'),
      webhookUrl: optionalText(env, 'WEBHOOK_URL'),
      attempts: Math.max(1, integer(env, 'SLUICE_ALERT_ATTEMPTS', 5)),
      retryBaseMs: integer(env, 'SLUICE_ALERT_RETRY_BASE_MS', 1_000),
      sweepIntervalMs: Math.max(100, integer(env, 'SLUICE_ALERT_SWEEP_INTERVAL_MS', 60_000)),
    },
    // Admin console (issue 18).
    disableAdminUi: text(env, 'DISABLE_ADMIN_UI', 'false').toLowerCase() === 'true',
    redisParts,
    configReload: {
      watch: text(env, 'SLUICE_CONFIG_WATCH', 'true').toLowerCase() !== 'false',
      debounceMs: integer(env, 'SLUICE_CONFIG_RELOAD_DEBOUNCE_MS', 250),
      pollIntervalMs: integer(env, 'SLUICE_CONFIG_POLL_INTERVAL_MS', 30_000),
    },
    modelEncryptionKey: optionalText(env, 'LITELLM_SALT_KEY'),
  };
}
