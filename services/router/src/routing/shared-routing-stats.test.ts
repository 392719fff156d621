// Two DeploymentStats with their SharedRoutingStats on one Redis stand for two router replicas: each
// sees the other's requests in flight, minute usage and latency after a sync, and routes on them.
// Real Redis, own key prefix per run.
import { connectRedis, createLogger, loadSettings, type Redis } from '@sluice/common';
import { createTestBackends, type TestBackends } from '@sluice/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Deployment } from '../providers/provider-adapter.js';
import { DeploymentStats } from './deployment-stats.js';
import { selectDeployment } from './select-deployment.js';
import { SharedRoutingStats } from './shared-routing-stats.js';

const logger = createLogger({ service: 'test', level: 'silent' });
let backends: TestBackends;
const connections: Redis[] = [];
let clock = 1_800_000_000_000;
const now = () => clock;

beforeAll(async () => {
  backends = await createTestBackends('shared-stats');
});

afterAll(async () => {
  for (const redis of connections) redis.disconnect();
  await backends.cleanup();
});

function replica(name: string): { stats: DeploymentStats; shared: SharedRoutingStats } {
  const redis = connectRedis(loadSettings(backends.env), logger, { name: `test-${name}` });
  connections.push(redis);
  const stats = new DeploymentStats(now);
  const shared = new SharedRoutingStats({ redis, replicaId: name, deploymentIds: ['a', 'b'], local: stats, now });
  stats.share((id) => shared.figures(id));
  return { stats, shared };
}

const deployment = (id: string) => ({ id, modelGroup: 'g', provider: 'openai', model: 'm', apiBase: '', apiBaseHost: '', apiKey: undefined, params: { model: 'openai/m' }, info: {} }) as Deployment;
const group = [deployment('a'), deployment('b')];

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('each replica adds the other replica’s requests in flight and minute usage to its own', async () => {
  const one = replica('one');
  const two = replica('two');
  await until(() => connections.every((redis) => redis.status === 'ready'));
  for (let index = 0; index < 3; index += 1) one.stats.started('a');
  one.stats.tokens('a', 500);
  two.stats.started('b');
  await one.shared.sync();
  await two.shared.sync();
  await one.shared.sync();

  expect(two.stats.inFlight('a')).toBe(3);
  expect(two.stats.inFlight('b')).toBe(1);
  expect(one.stats.inFlight('b')).toBe(1);
  expect(two.stats.minuteUsage('a')).toEqual({ requests: 3, tokens: 500 });
  // Its own load is counted once: live from memory, not again from Redis.
  expect(one.stats.inFlight('a')).toBe(3);
  expect(one.stats.minuteUsage('a')).toEqual({ requests: 3, tokens: 500 });

  // Replica two has only one request in flight itself, on b; least-busy still avoids a, busy on one.
  expect(selectDeployment(group, { strategy: 'least-busy', lowestLatencyBuffer: 0 }, two.stats, () => 0)?.id).toBe('b');
  // usage-based-routing on replica two: a has 500 tokens this minute (all from replica one).
  two.stats.tokens('b', 100);
  expect(selectDeployment(group, { strategy: 'usage-based-routing', lowestLatencyBuffer: 0 }, two.stats, () => 0)?.id).toBe('b');

  // The ended requests leave the picture at the next sync; the minute's usage resets with the minute.
  for (let index = 0; index < 3; index += 1) one.stats.ended('a');
  await one.shared.sync();
  await two.shared.sync();
  expect(two.stats.inFlight('a')).toBe(0);
  clock += 60_000;
  await one.shared.sync();
  await two.shared.sync();
  expect(two.stats.minuteUsage('a')).toEqual({ requests: 0, tokens: 0 });
});

test('latency is the average of every replica’s fresh figure, and a silent replica drops out', async () => {
  const one = replica('three');
  const two = replica('four');
  await until(() => connections.every((redis) => redis.status === 'ready'));
  one.stats.started('a');
  one.stats.latency('a', 400);
  two.stats.started('a');
  two.stats.latency('a', 100);
  await one.shared.sync();
  await two.shared.sync();
  expect(two.stats.latencyMs('a')).toBe(250);
  clock += 11_000;
  // Only replica four publishes again: replica three's figure is now too old.
  await two.shared.sync();
  expect(two.stats.latencyMs('a')).toBe(100);
});
