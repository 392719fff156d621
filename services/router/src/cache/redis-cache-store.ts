import type { RedisClient } from '@sluice/common';
import type { CacheStore } from './cache-store.js';

/**
 * The shared response cache: one GET per lookup, one SET with EX per store, under `cache:` in the
 * deployment's prefix. Each entry is one key, so on a Redis Cluster entries spread over every node. The
 * client has no offline queue and a short command timeout, so while Redis is
 * away every call fails at once and the cache simply misses.
 */
export class RedisCacheStore implements CacheStore {
  readonly kind = 'redis';

  constructor(private readonly redis: RedisClient) {}

  get(key: string): Promise<Buffer | null> {
    return this.redis.getBuffer(`cache:${key}`);
  }

  async set(key: string, value: Buffer, ttlSeconds: number): Promise<void> {
    await this.redis.set(`cache:${key}`, value, 'EX', ttlSeconds);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
