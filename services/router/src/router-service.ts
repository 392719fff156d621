import { status as GrpcStatus } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import {
  type Backends,
  type CancelSignal,
  connectRedis,
  redisConfigured,
  subscriberConnection,
  connectSql,
  migrate,
  type GatewayConfig,
  type Logger,
  Readiness,
  GatewayError,
  StoredModelSync,
  withStoredModels,
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
import { type CompletePart, type CompleteRequest, type ModelInfo, RouterService, type RouterServer } from '@sluice/proto';
import { createCompleteStreamHandler } from './complete-stream-handler.js';
import { LiveResponseCache } from './cache/start-response-cache.js';
import type { ResponseCache } from './cache/response-cache.js';
import { closeUpstreamClient } from './providers/shared/upstream-client.js';
import { createPriceBook, type PriceBook } from '@sluice/pricing';
import { createCompleteCall } from './routing/complete-call.js';
import { type CooldownStore, MemoryCooldownStore } from './routing/cooldown-store.js';
import { DeploymentStats } from './routing/deployment-stats.js';
import { buildModelRegistry, type ModelRegistry } from './routing/model-registry.js';
import { RedisCooldownStore } from './routing/redis-cooldown-store.js';
import { SharedRoutingStats } from './routing/shared-routing-stats.js';
import { type DeploymentLimitStore, limitsOf, MemoryDeploymentLimits } from './routing/deployment-limits.js';
import { RedisDeploymentLimits } from './routing/redis-deployment-limits.js';
import { readRoutingSettings, type RoutingSettings, type RoutingStrategy } from './routing/routing-settings.js';
import { RouterObserver } from './observability/router-observer.js';
import type { Deployment } from './providers/provider-adapter.js';
import { startModelHealth } from './health/deployment-health.js';
import { createSqlResponseStore, type ResponseStore } from './responses/response-store.js';
import { manageModel, type ModelAction } from './models/manage-model.js';
import { startStoredModels } from './models/start-stored-models.js';

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
  /** Live reload: a new model list, routing and cache settings, swapped in at once (throws: nothing changed). */
  reload(config: GatewayConfig): Promise<void>;
  /**
   * The call path the CompleteStream serves, for an edge in this same process (the launcher's
   * edge-with-router shape): the same parts, without encoding them or crossing a socket.
   */
  complete(request: CompleteRequest, signal: CancelSignal): AsyncIterable<CompletePart>;
}

/**
 * Everything the router derives from one config. A reload builds a new one and swaps the reference; a
 * request takes the one current when it arrives (its Complete call closes over it), so it finishes on
 * the config it started with.
 */
interface RouterSnapshot {
  registry: ModelRegistry;
  routing: RoutingSettings;
  deployments: Deployment[];
  complete: ReturnType<typeof createCompleteCall>;
}

/** The model groups with each deployment's live state: cooldown and recent error counts. */
function modelStatus(registry: ModelRegistry, cooldowns: CooldownStore, stats: DeploymentStats): ModelInfo[] {
  return registry.models().map((model) => ({
    ...model,
    deployments: (registry.group(model.id) ?? []).map((deployment) => {
      const recent = stats.recent(deployment.id);
      const remaining = cooldowns.remainingMs(deployment.id);
      return {
        id: deployment.id,
        provider: deployment.provider,
        model: deployment.model,
        apiBaseHost: deployment.apiBaseHost,
        coolingDown: remaining > 0,
        cooldownRemainingMs: Math.ceil(remaining),
        recentRequests: recent.requests,
        recentFailures: recent.failures,
        dbModel: (deployment.info as { db_model?: unknown }).db_model === true,
      };
    }),
  }));
}

async function startCooldowns(options: RouterOptions, deploymentIds: string[], timed: TimedCall): Promise<CooldownStore> {
  const { settings, logger, backends } = options;
  // Embedded mode (and a router run without any Redis) keeps cooldowns in this process.
  if (backends?.embedded || !redisConfigured(settings)) return new MemoryCooldownStore();
  const redis = connectRedis(settings, logger, { name: 'sluice-router' });
  const store = await RedisCooldownStore.start({
    redis,
    subscriber: subscriberConnection(redis, 'sluice-router-cooldowns'),
    prefix: settings.redisPrefix,
    deploymentIds,
    logger,
  });
  return {
    coolingDown: (deploymentId) => store.coolingDown(deploymentId),
    remainingMs: (deploymentId) => store.remainingMs(deploymentId),
    recordFailure: (report) => timed('record_failure', () => store.recordFailure(report)),
    track: (deploymentIds) => store.track(deploymentIds),
    close: () => store.close(),
  };
}

/**
 * The Responses API store, in the database when the router has one (DATABASE_URL, or the embedded
 * launcher's); without it store: true keeps nothing and previous_response_id works only natively.
 */
async function startResponseStore(options: RouterOptions): Promise<ResponseStore | undefined> {
  const { settings, logger, backends } = options;
  const owned = backends?.sql === undefined;
  const sql = backends?.sql ?? (settings.databaseUrl ? connectSql(settings, logger, 4) : undefined);
  if (!sql) return undefined;
  await migrate(sql, logger);
  return createSqlResponseStore(sql, settings.responsesRetentionHours, logger, owned);
}

function grpcError(error: unknown): Error & { code: number } {
  return Object.assign(new Error(error instanceof Error ? error.message : 'response store failed'), { code: GrpcStatus.UNAVAILABLE });
}

/**
 * litellm_params rpm / tpm / max_parallel_requests, enforced: in Redis (exact across replicas) unless the
 * router runs embedded or without REDIS_URL. No connection is made while no deployment has a limit.
 */
function startDeploymentLimits(options: RouterOptions, deployments: readonly Deployment[], timed: TimedCall): DeploymentLimitStore | undefined {
  const { settings, logger, backends, config } = options;
  const defaultParallel = config.router_settings?.default_max_parallel_requests ?? 0;
  if (!deployments.some((deployment) => limitsOf(deployment, undefined, defaultParallel) !== undefined)) return undefined;
  if (backends?.embedded || !redisConfigured(settings)) return new MemoryDeploymentLimits();
  // Reservations made in the same turn of the event loop share one write to Redis.
  const store = new RedisDeploymentLimits({ redis: connectRedis(settings, logger, { name: 'sluice-router-limits', autoPipelining: true }), logger });
  return {
    reserve: (limits, deploymentId, attemptId, tokens, nowMs) => timed('reserve_deployment', () => store.reserve(limits, deploymentId, attemptId, tokens, nowMs)),
    end: (lease, tokens) => store.end(lease, tokens),
    close: () => store.close(),
  };
}

/** Strategies that decide on statistics, which router replicas share through Redis (not in embedded mode). */
const SHARED_STATS_STRATEGIES = new Set<RoutingStrategy>(['latency-based-routing', 'least-busy', 'usage-based-routing']);

function startSharedStats(options: RouterOptions, strategy: RoutingStrategy, deploymentIds: string[], stats: DeploymentStats): SharedRoutingStats | undefined {
  const { settings, logger, backends } = options;
  if (backends?.embedded || !redisConfigured(settings) || !SHARED_STATS_STRATEGIES.has(strategy)) return undefined;
  const redis = connectRedis(settings, logger, { name: 'sluice-router-stats' });
  const shared = new SharedRoutingStats({ redis, replicaId: randomUUID(), deploymentIds, local: stats }).start();
  stats.share((id) => shared.figures(id));
  const close = shared.close.bind(shared);
  shared.close = () => {
    close();
    redis.disconnect();
  };
  return shared;
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
  // general_settings.store_model_in_db: models from the database join the file's (loaded before the first snapshot).
  const storedModels = await startStoredModels(options);
  let fileConfig = config;
  let storedEntries = storedModels ? (await storedModels.stored.load()).map((model) => model.entry) : [];
  let first: ModelRegistry;
  try {
    first = buildModelRegistry(withStoredModels(config, storedEntries));
  } catch (error) {
    if (storedEntries.length === 0) throw error;
    logger.error({ err: error instanceof Error ? error.message : error }, 'the stored models cannot be routed; serving the config file models only');
    storedEntries = [];
    first = buildModelRegistry(config);
  }
  for (const line of first.resolutions()) {
    logger.info({ ...line }, `deployment model_list[${line.index}] "${line.modelName}" → ${line.provider} ${line.model} (provider from ${line.source})`);
  }
  const deploymentsOf = (registry: ModelRegistry) => registry.models().flatMap((model) => registry.group(model.id) ?? []);
  let cooldowns: CooldownStore | undefined;
  const observer = new RouterObserver(tracerFor('sluice-router'), {
    deployments: deploymentsOf(first),
    coolingDown: (deploymentId) => cooldowns?.coolingDown(deploymentId) ?? false,
  });
  cooldowns = await startCooldowns(options, first.deploymentIds(), observer.redis);
  const stats = new DeploymentStats();
  const caches = new LiveResponseCache(options);
  const responses = await startResponseStore(options);
  // Made when a config first needs them (a strategy that shares statistics, a deployment with limits),
  // at start-up or on a reload, and kept from then on.
  let sharedStats: SharedRoutingStats | undefined;
  let limits: DeploymentLimitStore | undefined;

  /** Builds (and so checks) everything a config means for routing; throws ConfigError on a bad one. */
  const snapshotOf = (next: GatewayConfig, registry = buildModelRegistry(next)): RouterSnapshot => {
    const routing = readRoutingSettings(next);
    const deployments = deploymentsOf(registry);
    const prices = createPriceBook({ pricesFile: next.general_settings?.prices_file });
    warnUnpriced(deployments, prices, next.general_settings?.allow_unpriced_models === true, logger);
    const cache: ResponseCache | undefined = caches.cacheFor(next);
    sharedStats ??= startSharedStats(options, routing.strategy, registry.deploymentIds(), stats);
    limits ??= startDeploymentLimits({ ...options, config: next }, deployments, observer.redis);
    const complete = createCompleteCall({
      registry,
      logger,
      settings: routing,
      cooldowns: cooldowns!,
      stats,
      observer,
      prices,
      ...(cache ? { cache } : {}),
      ...(responses ? { responses } : {}),
      ...(limits ? { limits } : {}),
    });
    return { registry, routing, deployments, complete };
  };
  let current = snapshotOf(withStoredModels(config, storedEntries), first);
  /** The one place a new snapshot goes live: everything keyed by deployment follows it. */
  const swapIn = (snapshot: RouterSnapshot) => {
    const ids = snapshot.registry.deploymentIds();
    cooldowns!.track?.(ids);
    sharedStats?.track(ids);
    observer.track(snapshot.deployments);
    health.track({ registry: snapshot.registry, deployments: snapshot.deployments, settings: snapshot.routing });
    current = snapshot;
    logger.info({ models: snapshot.registry.models().length, deployments: ids.length, routingStrategy: snapshot.routing.strategy }, 'router config swapped in');
  };
  const health = startModelHealth({
    config,
    registry: current.registry,
    deployments: current.deployments,
    settings: current.routing,
    coolingDown: (deploymentId) => cooldowns!.coolingDown(deploymentId),
    metrics: observer.registry,
    logger,
  });
  // One snapshot per request: the call is made on the config current when it arrives.
  const complete: RouterSnapshot['complete'] = (request, signal) => current.complete(request, signal);
  const readiness = new Readiness();

  const modelSync = storedModels
    ? new StoredModelSync({
        redis: storedModels.redis,
        subscriber: storedModels.subscriber,
        prefix: settings.redisPrefix,
        logger,
        resync: async () => {
          const entries = (await storedModels.stored.load()).map((model) => model.entry);
          if (JSON.stringify(entries) === JSON.stringify(storedEntries)) return;
          swapIn(snapshotOf(withStoredModels(fileConfig, entries)));
          storedEntries = entries;
        },
      })
    : undefined;
  const manage = (action: ModelAction, body: Record<string, unknown>, caller: string) => {
    if (!storedModels || !modelSync) {
      throw new GatewayError('invalid_request', 'Models are stored in the database only with general_settings.store_model_in_db: true.');
    }
    return manageModel(action, body, caller, {
      stored: storedModels.stored,
      // The whole list as it would be, built and thrown away: a model that cannot be routed is never stored.
      check: (entry, replacing) => {
        const others = storedEntries.filter((stored) => stored.model_info?.id !== replacing);
        buildModelRegistry(withStoredModels(fileConfig, [...others, entry]));
      },
      changed: () => modelSync.changed(),
    });
  };

  const completeStream = createCompleteStreamHandler(complete, logger);
  // CompleteStream writes bytes it encoded itself (see complete-stream-handler.ts).
  const implementation: Pick<RouterServer, 'complete' | 'listModels' | 'modelHealth' | 'getStoredResponse' | 'deleteStoredResponse' | 'manageModel'> & {
    completeStream: typeof completeStream.handler;
  } = {
    complete: serveStream(complete, (error) => logger.debug({ err: error }, 'complete failed')),
    completeStream: completeStream.handler,
    listModels(_call, callback) {
      callback(null, { models: modelStatus(current.registry, cooldowns!, stats) });
    },
    modelHealth(call, callback) {
      health.check(call.request.modelGroup).then(
        (result) => callback(null, result),
        (error: unknown) => callback(toGrpcError(error), null),
      );
    },
    manageModel(call, callback) {
      const { action, body, caller } = call.request;
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      } catch {
        return callback(toGrpcError(new GatewayError('invalid_json')), null);
      }
      if (action !== 'new' && action !== 'update' && action !== 'delete') return callback(toGrpcError(new GatewayError('not_found')), null);
      Promise.resolve()
        .then(() => manage(action, parsed, caller))
        .then(
          (answer) => callback(null, { json: Buffer.from(JSON.stringify(answer)) }),
          (error: unknown) => callback(toGrpcError(error), null),
        );
    },
    getStoredResponse(call, callback) {
      const { id, owner } = call.request;
      if (!responses || owner === '') return callback(null, { found: false, json: Buffer.alloc(0) });
      responses.get(id, owner).then(
        (json) => callback(null, { found: json !== undefined, json: json ?? Buffer.alloc(0) }),
        (error: unknown) => callback(grpcError(error)),
      );
    },
    deleteStoredResponse(call, callback) {
      const { id, owner } = call.request;
      if (!responses || owner === '') return callback(null, { found: false, json: Buffer.alloc(0) });
      responses.delete(id, owner).then(
        (found) => callback(null, { found, json: Buffer.alloc(0) }),
        (error: unknown) => callback(grpcError(error)),
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
    { grpcPort: grpc.port, httpPort: http.port, models: current.registry.models().length, routingStrategy: current.routing.strategy },
    'router ready',
  );

  return {
    grpcPort: grpc.port,
    httpPort: http.port,
    complete,
    async reload(next) {
      swapIn(snapshotOf(withStoredModels(next, storedEntries)));
      fileConfig = next;
    },
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
      { name: 'close deployment limits', run: async () => limits?.close() },
      { name: 'close routing statistics', run: async () => sharedStats?.close() },
      { name: 'close response cache', run: () => caches.close() },
      { name: 'close response store', run: async () => responses?.close() },
      { name: 'close stored models', run: async () => {
        modelSync?.close();
        await storedModels?.close();
      } },
      { name: 'close http', run: http.close },
    ],
  };
}
