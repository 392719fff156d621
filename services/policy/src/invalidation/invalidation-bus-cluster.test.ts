// Admin changes reach every policy replica by pub/sub on a real three-node Redis Cluster: each replica's
// subscription sits on some node, and PUBLISH from any node reaches all of them.
import { connectRedis, createLogger, loadSettings, type RedisClient } from '@sluice/common';
import { startRedisCluster, type TestRedisCluster } from '@sluice/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createRedisInvalidationBus, type Invalidation, type InvalidationBus } from './invalidation-bus.js';

const logger = createLogger({ service: 'test', level: 'silent' });
let cluster: TestRedisCluster;
const clients: RedisClient[] = [];
const buses: InvalidationBus[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60_000);

afterAll(async () => {
  for (const bus of buses) await bus.close();
  for (const client of clients) client.disconnect();
  await cluster?.stop();
});

async function replica(received: Invalidation[][]): Promise<InvalidationBus> {
  const settings = loadSettings({ ...cluster.env, SLUICE_REDIS_PREFIX: 'sluice-bus-test:' });
  const redis = connectRedis(settings, logger, { name: 'test-policy' });
  clients.push(redis);
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  const bus = createRedisInvalidationBus(redis, settings.redisPrefix, logger);
  await bus.subscribe((list) => received.push(list), () => undefined);
  buses.push(bus);
  return bus;
}

test('an invalidation published by one replica reaches all three, whichever node each listens on', async () => {
  const inboxes: Invalidation[][][] = [[], [], []];
  const replicas = await Promise.all(inboxes.map((inbox) => replica(inbox)));
  // Subscriptions are made once each connection is up; wait until a probe reaches every replica.
  const deadline = Date.now() + 10_000;
  while (inboxes.some((inbox) => inbox.length === 0) && Date.now() < deadline) {
    await replicas[0]!.publish([{ kind: 'key', id: 'probe' }]);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const inbox of inboxes) inbox.length = 0;
  const changes: Invalidation[][] = [
    [{ kind: 'key', id: 'k1', token: 'hash-1' }],
    [{ kind: 'team', id: 't1' }, { kind: 'organization', id: 'o1' }],
    [{ kind: 'user', id: 'u1' }],
  ];
  for (const [index, change] of changes.entries()) await replicas[index]!.publish(change);
  // The publisher also hands its own change to itself at once, so its inbox may hold it twice.
  const hasAll = (inbox: Invalidation[][]) => changes.every((change) => inbox.some((got) => JSON.stringify(got) === JSON.stringify(change)));
  const until = Date.now() + 5_000;
  while (inboxes.some((inbox) => !hasAll(inbox)) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
  for (const inbox of inboxes) for (const change of changes) expect(inbox).toContainEqual(change);
});
