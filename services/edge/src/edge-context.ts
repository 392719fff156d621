import type { Logger, Tracer, UsagePublisher } from '@sluice/common';
import type { ServiceClients } from './clients/service-clients.js';
import type { InflightRequests } from './proxy/inflight-requests.js';
import type { EdgeMetrics } from './observability/edge-metrics.js';

export interface EdgeOptions {
  bodyLimitBytes: number;
  /** general_settings.litellm_key_header_name: an extra header that may carry the key. */
  keyHeader: string | undefined;
  /** Prompts and responses go into usage events (and from there the ledger and Langfuse). */
  recordMessages: boolean;
  /** litellm_settings.cache, and cache_params.namespace_per_team (default on): each team's cached answers apart. */
  responseCache: { enabled: boolean; namespacePerTeam: boolean };
  /** The admin console's built files, served at /ui; undefined when general_settings.disable_admin_ui is set. */
  adminConsoleRoot?: string | undefined;
  /** litellm_settings.default_model: the model of a request that names none. */
  defaultModel?: string | undefined;
}

/** Everything the routes need, built once in server.ts. */
export interface EdgeContext {
  clients: ServiceClients;
  publisher: UsagePublisher;
  logger: Logger;
  options: EdgeOptions;
  inflight: InflightRequests;
  state: { draining: boolean };
  observability: EdgeObservability;
}

export interface EdgeObservability {
  metrics: EdgeMetrics;
  /** Undefined when tracing is off. */
  tracer: Tracer | undefined;
  logger: Logger;
  /** litellm_settings.turn_off_message_logging: false: prompts may go on spans (never on metrics). */
  logMessages: boolean;
}
