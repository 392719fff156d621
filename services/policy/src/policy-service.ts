import {
  type Backends,
  connectRedis,
  connectUsageBus,
  createPgSql,
  type GatewayConfig,
  type Logger,
  migrate,
  MultiplexedStreams,
  encodeMessage,
  GatewayError,
  preEncodedResponses,
  instrumentSql,
  Readiness,
  registerConsumerLag,
  type Settings,
  type ShutdownStep,
  startGrpcServer,
  StoredModelSync,
  withStoredModels,
  internalAuthFromSettings,
  startServiceHttpServer,
  timeMethods,
  toGrpcError,
  tracerFor,
  subscriberConnection,
} from '@sluice/common';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { type AuthorizeRequest, Decision, PolicyService, type PolicyServer } from '@sluice/proto';
import type { AdminContext } from './admin/admin-context.js';
import { createAdminService } from './admin/admin-service.js';
import { startBudgetResetJob } from './budgets/budget-reset-job.js';
import { createAuthorize, undecided } from './decide/authorize.js';
import { buildAccessGroups } from './decide/model-access.js';
import { storedModelEntries } from './decide/stored-models.js';
import { createMemoryInvalidationBus, createRedisInvalidationBus, type Invalidation } from './invalidation/invalidation-bus.js';
import { declaredClientKeys } from './keys/declared-client-keys.js';
import { KeyCache } from './keys/key-cache.js';
import { syncClientKeys } from './keys/sync-client-keys.js';
import { type Entity, entityScopeName, type KeyRecord, loadKeyRecord, loadStandaloneEntity } from './keys/key-record.js';
import { LeaseRegistry } from './leases/lease-registry.js';
import { createMemoryLimitStore } from './limits/memory-limit-store.js';
import { createRedisLimitStore } from './limits/redis-limit-store.js';
import { buildModelPricing } from './budgets/model-pricing.js';
import { startUsageSettler } from './settle/usage-settler.js';
import { PolicyMetrics } from './observability/policy-metrics.js';
import { tracedAuthorize } from './observability/traced-authorize.js';
import { WatchedScopes } from './observability/watched-scopes.js';

export interface PolicyOptions {
  settings: Settings;
  config: GatewayConfig;
  logger: Logger;
  /** Embedded mode passes stand-ins; otherwise the real servers from settings. */
  backends?: Backends;
  /** The clock of every decision, reservation and budget reset (tests inject one). */
  now?: () => number;
}

export interface RunningPolicy {
  grpcPort: number;
  httpPort: number;
  shutdownSteps(drainTimeoutMs: number): ShutdownStep[];
  /** Re-reads general_settings.client_keys from a freshly loaded config (SIGHUP): a removed key is revoked. */
  reload(config: GatewayConfig): Promise<void>;
}

/** A decision without a request id: "send no more requests on this stream" (see policy.proto). */
const DRAIN_NOTICE: Decision = Decision.create();

const DEFAULT_CACHE_TTL_SECONDS = 30;
/** However long the config asks for, a cached key is re-read at least this often. */
const MAX_CACHE_TTL_SECONDS = 60;
const NEGATIVE_CACHE_TTL_MS = 5_000;
const MAX_CACHED_KEYS = 200_000;
const DEFAULT_MAX_TOKENS_ESTIMATE = 1024;

/** Does this invalidation concern this cached key? */
function concerns(invalidation: Invalidation, token: string, record: KeyRecord | null): boolean {
  switch (invalidation.kind) {
    case 'key':
      return token === invalidation.token || record?.key.id === invalidation.id;
    case 'user':
      return record?.user?.id === invalidation.id;
    case 'team':
      return record?.team?.id === invalidation.id;
    case 'organization':
      return record?.organization?.id === invalidation.id;
    case 'end_user':
    case 'tag':
      return false;
  }
}

export async function startPolicy(options: PolicyOptions): Promise<RunningPolicy> {
  const { settings, config, logger } = options;
  // Refuses to start without the internal token before anything else is set up.
  const auth = internalAuthFromSettings(settings);
  const now = options.now ?? Date.now;
  const general = config.general_settings ?? {};
  const masterKey = general.master_key;
  if (!masterKey) logger.warn('general_settings.master_key is not set: only generated keys can be used, and nobody can create one');

  const metrics = new PolicyMetrics();
  const ownsSql = !options.backends?.sql;
  if (ownsSql && !settings.databaseUrl) throw new Error('DATABASE_URL is not set');
  const rawSql =
    options.backends?.sql ??
    createPgSql({
      url: settings.databaseUrl ?? '',
      maxConnections: 10,
      // A decision waits on Postgres only for a key it has never seen; it must fail within its deadline.
      connectionTimeoutMs: Math.max(200, Math.floor(settings.policyDeadlineMs / 2)),
      statementTimeoutMs: 10_000,
      onError: (error) => logger.warn({ err: error }, 'postgres connection error'),
    });
  const sql = instrumentSql(rawSql, metrics.registry);
  await migrate(sql, logger);

  const embedded = options.backends?.embedded === true;
  const redis = embedded
    ? undefined
    : connectRedis(settings, logger, {
        name: 'sluice-policy',
        commandTimeoutMs: Math.max(50, Math.floor(settings.policyDeadlineMs / 4)),
        autoPipelining: true,
      });
  const store = redis
    ? timeMethods(
        createRedisLimitStore({
          redis,
          prefix: settings.redisPrefix,
          holdTtlMs: settings.policyHoldTtlMs,
          leaseMs: settings.leases.enabled ? settings.leases.durationMs : 0,
          leaseMarginMs: settings.leases.marginMs,
        }),
        ['reserve', 'seed', 'settle', 'release', 'read', 'announceVersions', 'resetPeriods', 'lease', 'returnLease', 'openLeases'],
        metrics.redis,
      )
    : createMemoryLimitStore({ holdTtlMs: settings.policyHoldTtlMs, now });
  // Budgets fail closed without Redis, so a policy that lost it should not be sent traffic.
  const readiness = new Readiness(redis ? [() => redis.status === 'ready'] : []);
  const watched = new WatchedScopes(store, now);
  metrics.watch(watched);
  const invalidations = redis ? createRedisInvalidationBus(redis, settings.redisPrefix, logger) : createMemoryInvalidationBus();

  const ownsBus = !options.backends?.bus;
  const bus = options.backends?.bus ?? (await connectUsageBus(settings, logger, 'sluice-policy'));
  const settler = await startUsageSettler({ bus, durable: settings.usage.policyConsumer, store, logger });
  registerConsumerLag(metrics.registry, bus, settings.usage.policyConsumer);

  const ttlSeconds = Math.min(general.user_api_key_cache_ttl ?? DEFAULT_CACHE_TTL_SECONDS, MAX_CACHE_TTL_SECONDS);
  const cache = new KeyCache({
    load: (token) => loadKeyRecord(sql, token),
    ttlMs: ttlSeconds * 1000,
    negativeTtlMs: NEGATIVE_CACHE_TTL_MS,
    maxEntries: MAX_CACHED_KEYS,
    now,
    onRefreshError: (error) => logger.warn({ err: error }, 'cannot refresh a cached key; still using the cached copy'),
  });
  const standaloneCache = (kind: 'end_user' | 'tag') =>
    new KeyCache<Entity>({
      load: (id) => loadStandaloneEntity(sql, kind, id),
      ttlMs: ttlSeconds * 1000,
      negativeTtlMs: NEGATIVE_CACHE_TTL_MS,
      maxEntries: MAX_CACHED_KEYS,
      now,
      onRefreshError: (error) => logger.warn({ err: error, kind }, 'cannot refresh a cached end user or tag; still using the cached copy'),
    });
  const requestEntityCaches = { endUsers: standaloneCache('end_user'), tags: standaloneCache('tag') };
  // Created before the streams exist; the recall is written through them (see below).
  let sendRecall: (call: ServerDuplexStream<AuthorizeRequest, Buffer>, leaseIds: string[]) => void = () => undefined;
  const leases = new LeaseRegistry(now, (call, leaseIds) => sendRecall(call, leaseIds));
  await invalidations.subscribe(
    (list) => {
      for (const invalidation of list) {
        if (invalidation.kind === 'end_user') requestEntityCaches.endUsers.invalidate((id) => id === invalidation.id);
        else if (invalidation.kind === 'tag') requestEntityCaches.tags.invalidate((id) => id === invalidation.id);
        else cache.invalidate((token, record) => concerns(invalidation, token, record));
      }
      leases.recall(new Set(list.map((invalidation) => entityScopeName(invalidation.kind, invalidation.id))));
    },
    () => {
      cache.expireAll();
      requestEntityCaches.endUsers.expireAll();
      requestEntityCaches.tags.expireAll();
      leases.recall(undefined);
    },
  );
  // Without Redis nothing can be renewed, settled or given back: edges stop admitting from leases, and
  // requests are refused as limits_unavailable (or fail open) as they are without leases.
  redis?.on('close', () => leases.recall(undefined));

  // general_settings.client_keys: checked before anything starts (a bad entry stops start-up), stored
  // once the database is there; their hashes let keys of any sk- shape past the format check.
  let declaredTokens: ReadonlySet<string> = new Set();
  const firstDeclared = declaredClientKeys(config, settings.keyPepper);
  /** The decisions a config means (its models, prices, access groups); a reload builds new ones. */
  const decisionsFor = (next: GatewayConfig) => {
    const nextGeneral = next.general_settings ?? {};
    return createAuthorize({
      masterKey,
      keyPepper: settings.keyPepper,
      cache,
      requestEntities: requestEntityCaches,
      store,
      sql,
      pricing: buildModelPricing(next),
      allowUnpricedModels: nextGeneral.allow_unpriced_models === true,
      accessGroups: buildAccessGroups(next),
      modelGroups: [...new Set(next.model_list.map((entry) => entry.model_name))],
      defaultMaxTokens: nextGeneral.default_max_tokens_estimate ?? DEFAULT_MAX_TOKENS_ESTIMATE,
      rateLimitFailOpen: nextGeneral.rate_limit_failure_mode === 'fail_open',
      now,
      logger,
      declaredTokens: () => declaredTokens,
      watchScopes: (scopes, identity) => watched.observe(scopes, identity),
      leaseGranted: (leaseId, scopes, durationMs) => leases.granted(leaseId, scopes, durationMs),
    });
  };
  // general_settings.store_model_in_db: stored models are priced and authorized like the file's; every
  // policy replica re-reads them when a router announces a change (and every few seconds).
  let fileConfig = config;
  let storedEntries = general.store_model_in_db === true ? await storedModelEntries(sql) : [];
  let decide = decisionsFor(withStoredModels(config, storedEntries));
  const modelSync =
    general.store_model_in_db === true
      ? new StoredModelSync({
          redis: undefined,
          subscriber: redis ? subscriberConnection(redis, 'sluice-policy-models') : undefined,
          prefix: settings.redisPrefix,
          logger,
          resync: async () => {
            const entries = await storedModelEntries(sql);
            if (JSON.stringify(entries) === JSON.stringify(storedEntries)) return;
            decide = decisionsFor(withStoredModels(fileConfig, entries));
            storedEntries = entries;
            // Leases carry the old prices and were granted under the old model access.
            leases.recall(undefined);
          },
        })
      : undefined;
  // Each decision runs on the config current when it arrives.
  const traced = tracedAuthorize((request) => decide(request), metrics, tracerFor('sluice-policy'));
  // A lease request is no request: it is counted apart from the decisions (and not traced).
  const authorize = (request: AuthorizeRequest): Promise<Decision> =>
    request.leaseOnly
      ? decide(request).then((decision) => {
          metrics.lease(decision);
          return decision;
        })
      : traced(request);
  const adminContext: AdminContext = { sql, store, invalidations, keyPepper: settings.keyPepper, now, logger };
  const admin = createAdminService(adminContext, masterKey, {
    keyManagementDisabled: general.disable_key_management === true,
    declaredTokens: () => declaredTokens,
  });
  const applyClientKeys = async (declared: ReturnType<typeof declaredClientKeys>) => {
    const counts = await syncClientKeys(adminContext, declared);
    declaredTokens = new Set(declared.map((key) => key.token));
    logger.info({ clientKeys: declared.length, ...counts }, 'client keys from the config synchronised');
  };
  await applyClientKeys(firstDeclared);
  if (general.disable_key_management) logger.info('key management is disabled: admin routes that change keys, teams, users or organisations answer 403');
  const resetJob = startBudgetResetJob({ context: adminContext, sql, store, intervalMs: settings.budgetResetIntervalMs, logger });

  const decisionStreams = new MultiplexedStreams<AuthorizeRequest, Decision>(DRAIN_NOTICE, (decision) => encodeMessage(Decision, decision));
  /**
   * A decision that does not reach its edge (the stream is gone, or the decision cannot be encoded)
   * must not keep what it reserved until the hold expires: it is given back at once.
   */
  const deliver = (call: ServerDuplexStream<AuthorizeRequest, Buffer>, requestId: string, decision: Decision) => {
    const outcome = decisionStreams.write(call, { ...decision, requestId });
    if (decision.lease) {
      if (outcome === 'written') return leases.delivered(requestId, call);
      // A grant that did not reach its edge is given back whole.
      leases.forget(requestId);
      store
        .returnLease?.({ leaseId: requestId, nowMs: now(), requests: decision.lease.requests, tokens: decision.lease.tokens, costNanos: decision.lease.costNanos })
        .catch((error: unknown) => logger.warn({ err: error, requestId }, 'cannot give back an undelivered lease; it frees itself at its end'));
      return;
    }
    if (outcome === 'written') return;
    if (decision.allowed) {
      store.abandon(requestId).catch((error: unknown) => logger.warn({ err: error, requestId }, 'cannot give back an undelivered reservation; its hold will expire'));
    }
    if (outcome === 'unencodable') {
      logger.warn({ requestId }, 'a decision could not be encoded; the request is refused');
      decisionStreams.write(call, { ...undecided(new GatewayError('invalid_request', 'The request has a value out of range for the gateway.')), requestId });
    }
  };
  sendRecall = (call, leaseIds) => {
    decisionStreams.write(call, { ...DRAIN_NOTICE, recalledLeaseIds: leaseIds });
  };
  const authorizeStream = (call: ServerDuplexStream<AuthorizeRequest, Buffer>) => {
    decisionStreams.add(call);
    // The edge ends its side once it has every answer it waits for; a decision still being made when
    // it does (or when policy drains) is finished and sent before this side ends.
    let deciding = 0;
    let clientDone = false;
    const settled = () => {
      deciding -= 1;
      if (clientDone && deciding === 0) call.end();
    };
    call.on('data', (request: AuthorizeRequest) => {
      deciding += 1;
      authorize(request).then(
        (decision) => {
          deliver(call, request.requestId, decision);
          settled();
        },
        (error: unknown) => {
          logger.error({ err: error }, 'decision failed');
          deliver(call, request.requestId, undecided(error));
          settled();
        },
      );
    });
    call.on('end', () => {
      clientDone = true;
      if (deciding === 0) call.end();
    });
  };
  const implementation: Pick<PolicyServer, 'authorize' | 'admin' | 'release'> & { authorizeStream: typeof authorizeStream } = {
    // The edge's request path: decisions for many requests over one stream, matched by request id.
    authorizeStream,
    authorize(call, callback) {
      authorize(call.request).then(
        (decision) => callback(null, decision),
        (error: unknown) => {
          logger.error({ err: error }, 'decision failed');
          callback(toGrpcError(error));
        },
      );
    },
    admin(call, callback) {
      admin(call.request).then(
        (result) => callback(null, result),
        (error: unknown) => callback(toGrpcError(error)),
      );
    },
    release(call, callback) {
      const { requestId, abandoned, leaseId } = call.request;
      if (leaseId !== '') {
        leases.forget(leaseId);
        const { unusedRequests, unusedTokens, unusedCostNanos } = call.request;
        const returned = store.returnLease?.({ leaseId, nowMs: now(), requests: unusedRequests, tokens: unusedTokens, costNanos: unusedCostNanos });
        (returned ?? Promise.resolve(false)).then(
          (released) => callback(null, { released }),
          // A lease not given back frees its money at its end plus the margin.
          () => callback(null, { released: false }),
        );
        return;
      }
      (abandoned ? store.abandon(requestId) : store.release(requestId)).then(
        (released) => callback(null, { released }),
        // The usage event releases the slot anyway; this call only makes it sooner.
        () => callback(null, { released: false }),
      );
    },
  };
  const grpc = await startGrpcServer({
    host: settings.policy.host,
    port: settings.policy.port,
    // AuthorizeStream's decisions are encoded by `deliver`, one request at a time.
    services: [{ definition: preEncodedResponses(PolicyService, 'authorizeStream'), implementation }],
    logger,
    auth,
    onDrain: () => decisionStreams.drain(),
    ready: () => readiness.ready(),
  });
  const http = await startServiceHttpServer({
    host: settings.policy.host,
    port: settings.policy.httpPort,
    ready: () => readiness.ready(),
    metrics: () => metrics.registry.render(),
  });
  logger.info({ grpcPort: grpc.port, httpPort: http.port, limits: redis ? 'redis' : 'memory', bus: bus.kind }, 'policy ready');
  let reloading = Promise.resolve();
  return {
    grpcPort: grpc.port,
    httpPort: http.port,
    reload(next) {
      // One reload at a time, in the order asked. Everything is built and the client keys synchronised
      // before the new decisions are swapped in: a bad entry or a database error refuses the whole config.
      const applied = reloading.then(async () => {
        const declared = declaredClientKeys(next, settings.keyPepper);
        const nextDecide = decisionsFor(withStoredModels(next, storedEntries));
        await applyClientKeys(declared);
        decide = nextDecide;
        fileConfig = next;
        // Leases carry the old prices and were granted under the old model access.
        leases.recall(undefined);
      });
      reloading = applied.catch(() => undefined);
      return applied;
    },
    shutdownSteps: (drainTimeoutMs) => [
      {
        name: 'drain policy calls',
        run: () => {
          readiness.drain();
          return grpc.shutdown(drainTimeoutMs);
        },
      },
      { name: 'stop settling usage', run: () => settler.stop() },
      { name: 'stop budget resets', run: () => resetJob.stop() },
      { name: 'stop stored-model sync', run: async () => modelSync?.close() },
      { name: 'close invalidations', run: () => invalidations.close() },
      { name: 'close limit store', run: () => store.close() },
      ...(ownsBus ? [{ name: 'close usage bus', run: () => bus.close() }] : []),
      ...(ownsSql ? [{ name: 'close postgres', run: () => rawSql.close() }] : []),
      { name: 'close http', run: http.close },
    ],
  };
}
