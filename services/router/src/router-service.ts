import {
  type Backends,
  connectRedis,
  type GatewayConfig,
  type Logger,
  Readiness,
  type Settings,
  type ShutdownStep,
  serveStream,
  type TimedCall,
  startGrpcServer,
  internalAuthFromSettings,
  preEncodedResponses,
  startServiceHttpServer,
  tracerFor,
  toGrpcError,
} from '@sluice/common';
import { RouterService, type RouterServer } from '@sluice/proto';
import { createCompleteStreamHandler } from './complete-stream-handler.js';
import { startResponseCache } from './cache/start-response-cache.js';
import { closeUpstreamClient } from './providers/shared/upstream-client.js';
import { createPriceBook, type PriceBook } from '@sluice/pricing';
import { createCompleteCall } from './routing/complete-call.js';
import { type CooldownStore, MemoryCooldownStore } from './routing/cooldown-store.js';
import { DeploymentStats } from './routing/deployment-stats.js';
import { buildModelRegistry } from './routing/model-registry.js';
import { RedisCooldownStore } from './routing/redis-cooldown-store.js';
import { readRoutingSettings } from './routing/routing-settings.js';
import { RouterObserver } from './observability/router-observer.js';
import type { Deployment } from './providers/provider-adapter.js';
import { startModelHealth } from './health/deployment-health.js';

export interface RouterOptions {
  settings: Settings;
  config: GatewayConfig;
  logger: Logger;
  /** Embedded mode passes stand-ins; otherwise the real servers from settings. */
  backends?: Backends;
}

export interface RunningRouter {
  grpcPort: number;
  httpPort: number;
  shutdownSteps(drainTimeoutMs: number): ShutdownStep[];
}

async function startCooldowns(options: RouterOptions, deploymentIds: string[], timed: TimedCall): Promise<CooldownStore> {
  const { settings, logger, backends } = options;
  // Embedded mode (and a router run without REDIS_URL) keeps cooldowns in this process.
  if (backends?.embedded || !settings.redisUrl) return new MemoryCooldownStore();
  const store = await RedisCooldownStore.start({
    redis: connectRedis(settings, logger, { name: 'sluice-router' }),
    subscriber: connectRedis(settings, logger, { name: 'sluice-router-cooldowns' }),
    prefix: settings.redisPrefix,
    deploymentIds,
    logger,
  });
  return {
    coolingDown: (deploymentId) => store.coolingDown(deploymentId),
    recordFailure: (report) => timed('record_failure', () => store.recordFailure(report)),
    close: () => store.close(),
  };
}

/** Names, at start-up, every deployment nothing prices: its requests would cost $0 in the ledger. */
function warnUnpriced(deployments: readonly Deployment[], prices: PriceBook, allowed: boolean, logger: Logger): void {
  const unpriced = deployments.filter((deployment) => !prices.priceFor(deployment));
  if (unpriced.length === 0) return;
  const models = [...new Set(unpriced.map((deployment) => `${deployment.modelGroup} (${deployment.provider}/${deployment.model})`))];
  logger.warn(
    { unpricedModels: models, allowUnpricedModels: allowed },
    `models without a price (set model_info.input_cost_per_token / output_cost_per_token or general_settings.prices_file): ${models.join(', ')}; ` +
      (allowed ? 'they are recorded at $0' : 'callers with a budget are refused them'),
  );
}

export async function startRouter(options: RouterOptions): Promise<RunningRouter> {
  const { settings, config, logger } = options;
  // Refuses to start without the internal token before anything else is set up.
  const auth = internalAuthFromSettings(settings);
  const registry = buildModelRegistry(config);
  const routing = readRoutingSettings(config);
  const deployments: Deployment[] = registry.models().flatMap((model) => registry.group(model.id) ?? []);
  let cooldowns: CooldownStore | undefined;
  const observer = new RouterObserver(tracerFor('sluice-router'), {
    deployments,
    coolingDown: (deploymentId) => cooldowns?.coolingDown(deploymentId) ?? false,
  });
  cooldowns = await startCooldowns(options, registry.deploymentIds(), observer.redis);
  const cache = startResponseCache(options);
  const prices = createPriceBook({ pricesFile: config.general_settings?.prices_file });
  warnUnpriced(deployments, prices, config.general_settings?.allow_unpriced_models === true, logger);
  const complete = createCompleteCall({
    registry,
    logger,
    settings: routing,
    cooldowns,
    stats: new DeploymentStats(),
    observer,
    prices,
    ...(cache ? { cache } : {}),
  });
  const health = startModelHealth({
    config,
    registry,
    deployments,
    settings: routing,
    coolingDown: (deploymentId) => cooldowns!.coolingDown(deploymentId),
    metrics: observer.registry,
    logger,
  });
  const readiness = new Readiness();

  const completeStream = createCompleteStreamHandler(complete, logger);
  // CompleteStream writes bytes it encoded itself (see complete-stream-handler.ts).
  const implementation: Pick<RouterServer, 'complete' | 'listModels' | 'modelHealth'> & { completeStream: typeof completeStream.handler } = {
    complete: serveStream(complete, (error) => logger.debug({ err: error }, 'complete failed')),
    completeStream: completeStream.handler,
    listModels(_call, callback) {
      callback(null, { models: registry.models() });
    },
    modelHealth(call, callback) {
      health.check(call.request.modelGroup).then(
        (result) => callback(null, result),
        (error: unknown) => callback(toGrpcError(error), null),
      );
    },
  };
  const grpc = await startGrpcServer({
    host: settings.router.host,
    port: settings.router.port,
    // CompleteStream's parts are encoded by its handler, one request at a time.
    services: [{ definition: preEncodedResponses(RouterService, 'completeStream'), implementation }],
    logger,
    auth,
    onDrain: completeStream.drain,
    ready: () => readiness.ready(),
  });
  const http = await startServiceHttpServer({
    host: settings.router.host,
    port: settings.router.httpPort,
    ready: () => readiness.ready(),
    metrics: () => observer.registry.render(),
  });
  logger.info(
    { grpcPort: grpc.port, httpPort: http.port, models: registry.models().length, routingStrategy: routing.strategy },
    'router ready',
  );

  return {
    grpcPort: grpc.port,
    httpPort: http.port,
    shutdownSteps: (drainTimeoutMs) => [
      {
        name: 'drain router calls',
        run: () => {
          readiness.drain();
          // Streams still open at the deadline are cancelled, and their upstream calls with them.
          return grpc.shutdown(drainTimeoutMs);
        },
      },
      { name: 'stop health checks', run: async () => health.stop() },
      { name: 'close upstream connections', run: closeUpstreamClient },
      { name: 'close cooldowns', run: () => cooldowns!.close() },
      { name: 'close response cache', run: async () => cache?.close() },
      { name: 'close http', run: http.close },
    ],
  };
}
