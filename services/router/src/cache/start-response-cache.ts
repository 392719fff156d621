import { type Backends, connectRedis, type GatewayConfig, type Logger, redisConfigured, type Settings } from '@sluice/common';
import type { CacheStore } from './cache-store.js';
import { readCacheSettings } from './cache-settings.js';
import { MemoryCacheStore } from './memory-cache-store.js';
import { RedisCacheStore } from './redis-cache-store.js';
import { ResponseCache } from './response-cache.js';

/** A lookup slower than this is a miss: the cache must never cost more than it can save. */
const LOOKUP_TIMEOUT_MS = 300;

export interface ResponseCacheStartOptions {
  settings: Settings;
  config: GatewayConfig;
  logger: Logger;
  backends?: Backends;
}

/**
 * The router's response cache from litellm_settings.cache / cache_params, or undefined when caching is
 * off. `type: redis` uses cache_params' server or cluster, else the deployment's Redis; embedded mode, `type: local` and a
 * router without any Redis keep the cache in this process instead.
 */
export function startResponseCache(options: ResponseCacheStartOptions): ResponseCache | undefined {
  const { settings, config, logger, backends } = options;
  const result = readCacheSettings(config);
  if (result.kind === 'off') return undefined;
  if (result.kind === 'unsupported') {
    logger.warn({ type: result.type }, 'cache_params.type is not supported (use redis or local); responses are not cached');
    return undefined;
  }
  const cacheSettings = result.settings;
  const ownRedis = cacheSettings.redisCluster !== undefined || cacheSettings.redisUrl !== undefined;
  let store: CacheStore;
  if (cacheSettings.type === 'redis' && !backends?.embedded && (ownRedis || redisConfigured(settings))) {
    const redis = connectRedis(settings, logger, {
      name: 'sluice-router-cache',
      url: cacheSettings.redisUrl,
      cluster: cacheSettings.redisCluster,
      commandTimeoutMs: LOOKUP_TIMEOUT_MS,
    });
    store = new RedisCacheStore(redis);
  } else {
    if (cacheSettings.type === 'redis' && !backends?.embedded) logger.warn('no Redis for the response cache; each router process caches on its own');
    store = new MemoryCacheStore();
  }
  logger.info(
    { store: store.kind, ttlSeconds: cacheSettings.ttlSeconds, namespace: cacheSettings.namespace || undefined, defaultOff: cacheSettings.defaultOff },
    'response cache on',
  );
  return new ResponseCache({ settings: cacheSettings, store, logger });
}

/**
 * The response cache across config reloads: one store per router process, made when a config first turns
 * caching on (its connection settings are restart-only), and each config's ttl, namespace, mode and call
 * types on top of it.
 */
export class LiveResponseCache {
  private base: ResponseCache | undefined;

  constructor(private readonly options: Omit<ResponseCacheStartOptions, 'config'>) {}

  /** The cache the config asks for, or undefined when it leaves caching off. */
  cacheFor(config: GatewayConfig): ResponseCache | undefined {
    if (!this.base) {
      this.base = startResponseCache({ ...this.options, config });
      return this.base;
    }
    const result = readCacheSettings(config);
    return result.kind === 'on' ? this.base.withSettings(result.settings) : undefined;
  }

  async close(): Promise<void> {
    await this.base?.close();
  }
}
