import {
  type Backends,
  connectUsageBus,
  type GatewayConfig,
  type Logger,
  messageLoggingOn,
  type Settings,
  type ShutdownStep,
  startServiceHttpServer,
  tracerFor,
  internalAuthFromSettings,
} from '@sluice/common';
import { buildApp } from './app.js';
import { adminConsoleRoot } from './routes/admin-console.js';
import type { InProcessComplete } from './clients/in-process-router-calls.js';
import { createServiceClients } from './clients/service-clients.js';
import type { EdgeContext } from './edge-context.js';
import { InflightRequests } from './proxy/inflight-requests.js';
import { EdgeMetrics } from './observability/edge-metrics.js';
import { edgeReady } from './routes/health.js';
import { EdgeLeases } from './leases/edge-leases.js';

export interface EdgeOptions {
  settings: Settings;
  config: GatewayConfig;
  logger: Logger;
  backends?: Backends;
  /** The router's call path, when the router runs in this process (see the launcher's edge-with-router). */
  inProcessComplete?: InProcessComplete;
}

export interface RunningEdge {
  /** The API port (what the Ingress exposes). */
  port: number;
  /** The private side port: /metrics and the health routes, never the API. */
  httpPort: number;
  shutdownSteps(drainTimeoutMs: number): ShutdownStep[];
  /** Live reload: the key header, message recording and cache options of a new config. */
  reload(config: GatewayConfig): Promise<void>;
}

const MEBIBYTE = 1024 * 1024;
const ABORTED_STREAMS_GRACE_MS = 2_000;

/** What the edge reads from the config; built anew on a reload and swapped in whole. */
function edgeOptionsOf(config: GatewayConfig, settings: Settings): EdgeContext['options'] {
  const general = config.general_settings ?? {};
  return {
    bodyLimitBytes: general.max_request_size_mb ? Math.round(general.max_request_size_mb * MEBIBYTE) : settings.edge.bodyLimitBytes,
    keyHeader: general.litellm_key_header_name,
    recordMessages: general.store_prompts_in_spend_logs === true || config.litellm_settings?.turn_off_message_logging === false,
    responseCache: {
      enabled: config.litellm_settings?.cache === true,
      // Per team unless sharing is asked for: a shared cache serves one team's answers to another.
      namespacePerTeam: config.litellm_settings?.cache_params?.namespace_per_team !== false,
    },
    adminConsoleRoot: adminConsoleRoot(general, settings.disableAdminUi),
    defaultModel: config.litellm_settings?.default_model,
  };
}

export async function startEdge(options: EdgeOptions): Promise<RunningEdge> {
  const { settings, config, logger } = options;
  // Refuses to start without the internal token before anything else is set up.
  const auth = internalAuthFromSettings(settings);
  const ownsBus = !options.backends?.bus;
  const bus = options.backends?.bus ?? (await connectUsageBus(settings, logger, 'sluice-edge'));
  const clients = createServiceClients({
    policy: settings.policyAddress,
    router: settings.routerAddress,
    accounting: settings.accountingAddress,
    policyDeadlineMs: settings.policyDeadlineMs,
    streams: settings.grpcStreams,
    streamRotateMs: settings.grpcStreamRotateMs,
    auth,
    ...(options.inProcessComplete ? { inProcessComplete: options.inProcessComplete } : {}),
  });
  // Embedded mode decides in the same process: there is no round trip for a lease to save.
  const leases =
    settings.leases.enabled && options.backends?.embedded !== true
      ? new EdgeLeases({
          ask: (request) => clients.authorize(request),
          giveBack: (leaseId, unused) => clients.returnLease(leaseId, unused),
          abandon: (requestId) => clients.abandon(requestId),
          logger,
          durationMs: settings.leases.durationMs,
        })
      : undefined;
  if (leases) clients.onLeaseRecall((leaseIds) => leases.recall(leaseIds));
  const inflight = new InflightRequests();
  const metrics = new EdgeMetrics({ modelGroups: config.model_list.map((entry) => entry.model_name), inflight, publisher: bus.publisher, leases });
  const context: EdgeContext = {
    clients,
    publisher: bus.publisher,
    logger,
    options: edgeOptionsOf(config, settings),
    inflight,
    leases,
    state: { draining: false },
    observability: { metrics, tracer: tracerFor('sluice-edge'), logger, logMessages: messageLoggingOn(config) },
  };
  const app = buildApp(context, logger);
  await app.listen({ host: settings.edge.host, port: settings.edge.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.edge.port;
  // Metrics carry key aliases and team ids: they are served only here, on a port the Ingress never routes to.
  const http = await startServiceHttpServer({
    host: settings.edge.host,
    port: settings.edge.metricsPort,
    ready: () => edgeReady(context),
    metrics: () => metrics.registry.render(),
  });
  logger.info(
    { port, httpPort: http.port, policy: settings.policyAddress, router: settings.routerAddress, bus: bus.kind, tracing: context.observability.tracer !== undefined },
    'edge ready',
  );

  let closing: Promise<void> | undefined;
  return {
    port,
    httpPort: http.port,
    async reload(next) {
      // The body limit and the console are fixed when the app is built (restart-only, so unchanged here).
      context.options = edgeOptionsOf(next, settings);
      context.observability.logMessages = messageLoggingOn(next);
      metrics.knowModelGroups(next.model_list.map((entry) => entry.model_name));
    },
    shutdownSteps: (drainTimeoutMs) => [
      {
        name: 'stop accepting requests',
        run: async () => {
          context.state.draining = true;
          closing = app.close();
        },
      },
      // Nothing more is admitted: what the leases did not use goes back to policy.
      { name: 'give back leases', run: async () => leases?.close() },
      {
        name: 'let open requests finish',
        run: async () => {
          if (await context.inflight.waitIdle(drainTimeoutMs)) return;
          logger.warn({ open: context.inflight.size }, 'drain timeout: ending the remaining requests');
          context.inflight.abortAll('shutting_down');
          await context.inflight.waitIdle(ABORTED_STREAMS_GRACE_MS);
        },
      },
      { name: 'close http server', run: () => closing ?? app.close() },
      {
        name: 'flush usage events',
        run: async () => {
          const left = await bus.publisher.flush(settings.shutdownTimeoutMs);
          if (left > 0) logger.error({ left }, 'usage events not acknowledged at shutdown');
        },
      },
      ...(ownsBus ? [{ name: 'close usage bus', run: () => bus.close() }] : []),
      { name: 'close service clients', run: async () => clients.close() },
      // Last, so the drain itself can still be scraped and probed.
      { name: 'close metrics http', run: http.close },
    ],
  };
}
