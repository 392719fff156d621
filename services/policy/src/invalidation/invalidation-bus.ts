import { type Logger, type RedisClient, subscriberConnection } from '@sluice/common';
import type { EntityKind } from '../keys/key-record.js';

// Admin changes are announced to every policy replica so their key caches drop the old copy at once
// (Redis pub/sub, a few milliseconds). It is an accelerator: every decision also compares the cached
// entity versions with the ones in Redis, so a replica that missed a message still notices. On a Redis
// Cluster, PUBLISH reaches subscribers on every node; the versions are written by a limit script, which
// rides out MOVED, ASK and TRYAGAIN while its slot is being migrated (see scriptKeys).

export interface Invalidation {
  kind: EntityKind;
  id: string;
  /** For keys: the hash the key was cached under (a regenerate changes it). */
  token?: string;
}

export interface InvalidationBus {
  publish(invalidations: Invalidation[]): Promise<void>;
  /** `onGap` runs when messages may have been missed (the subscription was down). */
  subscribe(onMessage: (invalidations: Invalidation[]) => void, onGap: () => void): Promise<void>;
  close(): Promise<void>;
}

export function createRedisInvalidationBus(redis: RedisClient, prefix: string, logger: Logger): InvalidationBus {
  const channel = `${prefix}policy:invalidate`;
  let subscriber: RedisClient | undefined;
  let local: ((invalidations: Invalidation[]) => void) | undefined;
  return {
    async publish(invalidations) {
      if (invalidations.length === 0) return;
      // This replica's own caches first, before the admin call answers: its message comes back through
      // Redis too, but a request sent right after the answer could otherwise be decided ahead of it.
      local?.(invalidations);
      await redis.publish(channel, JSON.stringify(invalidations));
    },
    async subscribe(onMessage, onGap) {
      local = onMessage;
      subscriber = subscriberConnection(redis, 'sluice-policy-invalidations');
      let lost = false;
      subscriber.on('close', () => {
        lost = true;
      });
      subscriber.on('ready', () => {
        if (!lost) return;
        lost = false;
        logger.info('invalidation channel back; refreshing cached keys');
        onGap();
      });
      subscriber.on('message', (_channel: string, text: string) => {
        try {
          onMessage(JSON.parse(text) as Invalidation[]);
        } catch (error) {
          logger.warn({ err: error }, 'unreadable invalidation message');
        }
      });
      // Not awaited: with Redis down at start-up the subscription completes when it comes back.
      void subscriber.subscribe(channel).catch((error: unknown) => {
        logger.warn({ err: error }, 'cannot subscribe to invalidations');
      });
    },
    async close() {
      subscriber?.disconnect();
    },
  };
}

/** Embedded mode: one process, so announcing is calling. */
export function createMemoryInvalidationBus(): InvalidationBus {
  const handlers: Array<(invalidations: Invalidation[]) => void> = [];
  return {
    async publish(invalidations) {
      for (const handler of handlers) handler(invalidations);
    },
    async subscribe(onMessage) {
      handlers.push(onMessage);
    },
    async close() {
      handlers.length = 0;
    },
  };
}
