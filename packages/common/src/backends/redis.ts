import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { Settings } from '../settings.js';

export type { Redis } from 'ioredis';

// Loaded on first use: the edge never connects to Redis and should not carry the client.
const require = createRequire(import.meta.url);
const loadRedis = () => (require('ioredis') as typeof import('ioredis')).Redis;

export interface RedisOptions {
  /** Fail a command that gets no answer within this long (the caller decides fail-open or closed). */
  commandTimeoutMs?: number;
  /** Connection name shown in CLIENT LIST. */
  name: string;
  /**
   * Send the commands issued in one tick in one write. Worth it where many independent commands arrive
   * together (policy's decisions come in bursts from the multiplexed stream); a write per command is a
   * syscall each.
   */
  autoPipelining?: boolean;
  /** Another server than REDIS_URL (e.g. the response cache's own `cache_params`); keys keep the prefix. */
  url?: string;
}

/**
 * A Redis client for the request path: every key under the deployment's prefix, no offline queue (while
 * Redis is unreachable a command fails at once instead of waiting, so callers answer within their
 * deadline), and reconnection in the background forever.
 */
export function connectRedis(settings: Settings, logger: Logger, options: RedisOptions): Redis {
  const url = options.url ?? settings.redisUrl;
  if (!url) throw new Error('REDIS_URL is not set');
  const redis = new (loadRedis())(url, {
    keyPrefix: settings.redisPrefix,
    connectionName: options.name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? 500,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
    enableAutoPipelining: options.autoPipelining ?? false,
  });
  let down = false;
  redis.on('error', (error) => {
    if (!down) logger.warn({ err: error }, 'redis unavailable');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info('redis available again');
    down = false;
  });
  return redis;
}
