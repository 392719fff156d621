// The router's shared state on a real three-node Redis Cluster: cooldowns (a script over two keys of a
// deployment, pub/sub to the other replicas, a resync across every deployment's slot), latency
// statistics shared between replicas, and the response cache, all through connectRedis as the router
// connects (REDIS_CLUSTER_NODES).
import { connectRedis, createLogger, loadSettings, type RedisClient, subscriberConnection } from '@sluice/common';
import { startRedisCluster, type TestRedisCluster } from '@sluice/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { RedisCacheStore } from '../cache/redis-cache-store.js';
import { DeploymentStats } from './deployment-stats.js';
import { RedisCooldownStore } from './redis-cooldown-store.js';
import { SharedRoutingStats } from './shared-routing-stats.js';

const logger = createLogger({ service: 'test', level: 'silent' });
const PREFIX = 'sluice-cluster-test:';
// Deployments whose hash tags land on every node of the cluster (redis-cli gives each node a third).
const DEPLOYMENTS = ['openai-east', 'openai-west', 'azure-1', 'azure-2', 'anthropic', 'bedrock', 'mistral', 'local-vllm'];
let cluster: TestRedisCluster;
const clients: RedisClient[] = [];
const closers: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60_000);

afterAll(async () => {
  for (const close of closers) await close();
  for (const client of clients) client.disconnect();
  await cluster?.stop();
});

async function connect(name: string): Promise<RedisClient> {
  const settings = loadSettings({ ...cluster.env, SLUICE_REDIS_PREFIX: PREFIX });
  const redis = connectRedis(settings, logger, { name, commandTimeoutMs: 5_000 });
  clients.push(redis);
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  expect(redis.isCluster).toBe(true);
  return redis;
}

async function replica(): Promise<RedisCooldownStore> {
  const redis = await connect('test-router');
  const store = await RedisCooldownStore.start({ redis, subscriber: subscriberConnection(redis, 'test-router-cooldowns'), prefix: PREFIX, deploymentIds: DEPLOYMENTS, logger });
  closers.push(() => store.close());
  return store;
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test("deployments' keys spread over the nodes, each deployment's keys in one slot", async () => {
  const owners = new Set<number>();
  for (const id of DEPLOYMENTS) {
    const slots = await Promise.all(
      [`${PREFIX}router:{${id}}:cooldown`, `${PREFIX}router:{${id}}:fails:1`, `${PREFIX}router:{${id}}:latency`].map(async (key) =>
        Number(await cluster.node(0).call('CLUSTER', 'KEYSLOT', key)),
      ),
    );
    expect(new Set(slots).size).toBe(1);
    owners.add(await cluster.ownerOf(slots[0]!));
  }
  expect(owners.size).toBe(3);
});

test('a cooldown started on one replica reaches the other by pub/sub, and a late replica finds it by resync', async () => {
  const one = await replica();
  const two = await replica();
  for (const id of DEPLOYMENTS) {
    // Past allowed_fails (1): the second failure, counted in Redis across replicas, starts the cooldown.
    expect(await one.recordFailure({ deploymentId: id, allowedFails: 1, cooldownMs: 30_000, immediate: false })).toBe(false);
    expect(await two.recordFailure({ deploymentId: id, allowedFails: 1, cooldownMs: 30_000, immediate: false })).toBe(true);
  }
  // Well before the next resync (5 s): the announcement came by pub/sub.
  await until(() => DEPLOYMENTS.every((id) => one.coolingDown(id)), 2_000);
  // A replica started now reads every deployment's cooldown, whichever node holds it.
  const late = await replica();
  expect(DEPLOYMENTS.every((id) => late.coolingDown(id))).toBe(true);
  expect(late.remainingMs('mistral')).toBeGreaterThan(20_000);
});

test('latency statistics are shared between replicas across every node', async () => {
  const stats = [new DeploymentStats(), new DeploymentStats()];
  const shared = await Promise.all(
    stats.map(async (local, index) => new SharedRoutingStats({ redis: await connect(`test-stats-${index}`), replicaId: `replica-${index}`, deploymentIds: DEPLOYMENTS, local })),
  );
  DEPLOYMENTS.forEach((id, index) => stats[0]!.latency(id, 100 + index));
  stats[1]!.latency('anthropic', 300);
  await shared[0]!.sync();
  await shared[1]!.sync();
  // The second replica never called most deployments, yet knows their latency from the first.
  expect(shared[1]!.figures('openai-east')?.latencyMs).toBe(100);
  expect(shared[1]!.figures('local-vllm')?.latencyMs).toBe(107);
  // Where both have a figure, the average of the two.
  expect(shared[1]!.figures('anthropic')?.latencyMs).toBe((104 + 300) / 2);
});

test('the response cache stores and finds answers on the cluster', async () => {
  const store = new RedisCacheStore(await connect('test-cache'));
  const entries = Array.from({ length: 12 }, (_, index) => [`entry-${index}`, Buffer.from(`answer ${index}`)] as const);
  for (const [key, value] of entries) await store.set(key, value, 60);
  for (const [key, value] of entries) expect((await store.get(key))?.toString()).toBe(value.toString());
  expect(await store.get('never-stored')).toBeNull();
  await store.close();
});
