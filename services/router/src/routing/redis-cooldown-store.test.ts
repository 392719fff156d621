// Two stores on one Redis stand for two router replicas: a cooldown one of them starts is honoured by
// the other at once, and ends by itself. Real Redis, own key prefix per run.
import { connectRedis, createLogger, loadSettings } from '@sluice/common';
import { createTestBackends, type TestBackends } from '@sluice/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { RedisCooldownStore } from './redis-cooldown-store.js';

const logger = createLogger({ service: 'test', level: 'silent' });
let backends: TestBackends;
const stores: RedisCooldownStore[] = [];

async function replica(): Promise<RedisCooldownStore> {
  const settings = loadSettings(backends.env);
  const store = await RedisCooldownStore.start({
    redis: connectRedis(settings, logger, { name: 'test-router' }),
    subscriber: connectRedis(settings, logger, { name: 'test-router-sub' }),
    prefix: settings.redisPrefix,
    deploymentIds: ['a', 'b'],
    logger,
  });
  stores.push(store);
  return store;
}

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  backends = await createTestBackends('cooldowns');
});

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await backends.cleanup();
});

test('a cooldown started on one replica is seen by the other, and ends by itself', async () => {
  const one = await replica();
  const two = await replica();
  await until(() => true);
  // Past allowed_fails (1): the second failure, counted in Redis across replicas, starts the cooldown.
  expect(await one.recordFailure({ deploymentId: 'a', allowedFails: 1, cooldownMs: 1_500, immediate: false })).toBe(false);
  expect(await two.recordFailure({ deploymentId: 'a', allowedFails: 1, cooldownMs: 1_500, immediate: false })).toBe(true);
  await until(() => one.coolingDown('a'));
  expect(two.coolingDown('a')).toBe(true);
  expect(one.coolingDown('b')).toBe(false);
  await until(() => !one.coolingDown('a') && !two.coolingDown('a'), 10_000);
});

test('a replica started during a cooldown picks it up from Redis', async () => {
  const one = await replica();
  expect(await one.recordFailure({ deploymentId: 'b', allowedFails: 3, cooldownMs: 30_000, immediate: true })).toBe(true);
  const late = await replica();
  await until(() => late.coolingDown('b'));
  const ttl = await backends.redis().pttl('router:{b}:cooldown');
  expect(ttl).toBeGreaterThan(20_000);
});
