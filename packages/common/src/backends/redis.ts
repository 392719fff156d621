import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import type { ChainableCommander, Cluster, ClusterOptions, Redis, RedisOptions as IoRedisOptions } from 'ioredis';
import type { Logger } from '../logger.js';
import type { RedisClusterSettings } from '../redis-cluster-settings.js';
import type { Settings } from '../settings.js';

export type { Cluster, Redis } from 'ioredis';
/** A single Redis server or a Redis Cluster: every service takes either, through connectRedis. */
export type RedisClient = Redis | Cluster;

// Loaded on first use: the edge never connects to Redis and should not carry the client.
const require = createRequire(import.meta.url);
const loadIoredis = () => require('ioredis') as typeof import('ioredis');

export interface RedisOptions {
  /** Fail a command that gets no answer within this long (the caller decides fail-open or closed). */
  commandTimeoutMs?: number;
  /** Connection name shown in CLIENT LIST. */
  name: string;
  /**
   * Send the commands issued in one tick in one write. Worth it where many independent commands arrive
   * together (policy's decisions come in bursts from the multiplexed stream); a write per command is a
   * syscall each. Not on a cluster: ioredis' pipelines there cannot follow a slot migration (ASK, then
   * TRYAGAIN) for scripts, so every command goes on its own and is redirected on its own.
   */
  autoPipelining?: boolean;
  /**
   * Another server than the deployment's (e.g. the response cache's own `cache_params`): a URL, or a
   * cluster's startup nodes. Keys keep the prefix.
   */
  url?: string;
  cluster?: RedisClusterSettings;
  /** For clients that prefix their keys themselves (BullMQ). */
  unprefixed?: boolean;
  /** Commands wait for a connection and are retried forever (BullMQ's worker): background work only. */
  waitForever?: boolean;
}

/** True when the deployment names a Redis (a server or a cluster); without one, state stays in-process. */
export function redisConfigured(settings: Settings): boolean {
  return settings.redisUrl !== undefined || settings.redisCluster !== undefined;
}

/**
 * A Redis client for the request path: every key under the deployment's prefix, no offline queue (while
 * Redis is unreachable a command fails at once instead of waiting, so callers answer within their
 * deadline), and reconnection in the background forever. A Redis Cluster (REDIS_CLUSTER_NODES or
 * `redis_startup_nodes`) gets an ioredis Cluster client, which follows MOVED and ASK redirections and
 * retries TRYAGAIN while a slot is being migrated.
 */
export function connectRedis(settings: Settings, logger: Logger, options: RedisOptions): RedisClient {
  const cluster = options.cluster ?? (options.url === undefined ? settings.redisCluster : undefined);
  const url = options.url ?? settings.redisUrl;
  const blocking = options.waitForever === true;
  const common = {
    keyPrefix: options.unprefixed ? undefined : settings.redisPrefix,
    enableAutoPipelining: cluster ? false : (options.autoPipelining ?? false),
  };
  const perConnection: IoRedisOptions = {
    connectionName: options.name,
    maxRetriesPerRequest: blocking ? null : 1,
    commandTimeout: blocking ? undefined : (options.commandTimeoutMs ?? 500),
  };
  const retryStrategy = (attempt: number) => Math.min(50 * 2 ** attempt, 2_000);
  let redis: RedisClient;
  if (cluster) {
    const clusterOptions: ClusterOptions = {
      ...common,
      enableOfflineQueue: blocking,
      clusterRetryStrategy: retryStrategy,
      // A slot being migrated answers a script ASK, then TRYAGAIN, until the move ends: keep asking for
      // about 3 s (32 rounds of two redirections); the command timeout still bounds a request's wait.
      retryDelayOnTryAgain: 100,
      maxRedirections: 64,
      redisOptions: {
        ...perConnection,
        username: cluster.username,
        password: cluster.password,
        // Managed clusters announce their nodes by address (Azure) or by name (ElastiCache); their
        // certificates are wildcards for the domain of the endpoint the user gave, so that name is
        // checked on every node.
        tls: cluster.tls ? (isIP(cluster.nodes[0]!.host) ? {} : { servername: cluster.nodes[0]!.host }) : undefined,
      },
      // Names are resolved when connecting, so TLS sees the name and not an address.
      dnsLookup: cluster.tls ? (address, callback) => callback(null, address) : undefined,
    };
    redis = new (loadIoredis().Cluster)(cluster.nodes, clusterOptions);
  } else {
    if (!url) throw new Error('REDIS_URL is not set');
    redis = new (loadIoredis().Redis)(url, { ...common, ...perConnection, enableOfflineQueue: blocking, retryStrategy });
  }
  let down = false;
  redis.on('error', (error: unknown) => {
    if (!down) logger.warn({ err: error }, 'redis unavailable');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info('redis available again');
    down = false;
  });
  return redis;
}

/**
 * A connection for SUBSCRIBE (it can do nothing else). It may queue while disconnected, because ioredis
 * subscribes again by itself on reconnect; on a cluster the subscription moves to another node when
 * its node goes away, and PUBLISH reaches every node, so any node will do.
 */
export function subscriberConnection(redis: RedisClient, name: string): RedisClient {
  let subscriber: RedisClient;
  if (redis.isCluster) {
    const cluster = redis as Cluster;
    subscriber = cluster.duplicate(undefined, {
      enableOfflineQueue: true,
      redisOptions: { ...cluster.options.redisOptions, connectionName: name, commandTimeout: undefined },
    });
  } else {
    subscriber = (redis as Redis).duplicate({ connectionName: name, enableOfflineQueue: true, commandTimeout: undefined });
  }
  // The client it was made from reports outages already.
  subscriber.on('error', () => undefined);
  return subscriber;
}

/**
 * Runs each item's commands (which all touch the item's one key, or keys of one hash tag) in a
 * pipeline: one pipeline for everything on a single server, one per item on a cluster, where a
 * pipeline must stay within one node's slots. Returns each item's results, in order. Not for scripts
 * on a cluster (see autoPipelining).
 */
export async function pipelinePerItem<T>(
  redis: RedisClient,
  items: readonly T[],
  add: (pipeline: ChainableCommander, item: T) => void,
): Promise<Array<Array<[Error | null, unknown]>>> {
  if (!redis.isCluster) {
    const pipeline = redis.pipeline();
    const counts = items.map((item) => {
      const before = pipeline.length;
      add(pipeline, item);
      return pipeline.length - before;
    });
    const results = ((await pipeline.exec()) ?? []) as Array<[Error | null, unknown]>;
    let at = 0;
    return counts.map((count) => results.slice(at, (at += count)));
  }
  return Promise.all(
    items.map(async (item) => {
      const pipeline = redis.pipeline();
      add(pipeline, item);
      return ((await pipeline.exec()) ?? []) as Array<[Error | null, unknown]>;
    }),
  );
}
