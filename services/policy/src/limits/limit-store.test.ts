// One suite, three stores: the Redis scripts (real Redis, own key prefix; and a real three-node Redis
// Cluster) and the in-process stand-in of embedded mode must behave identically. Time is injected, so
// windows and hold expiry are exact.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectRedis, createLogger, limitStateNamespace, loadSettings, type RedisClient } from '@sluice/common';
import { createTestBackends, startRedisCluster, type TestBackends, type TestRedisCluster } from '@sluice/testing';
import type { LimitStore, ReserveInput, ScopeLimits } from './limit-store.js';
import { createMemoryLimitStore } from './memory-limit-store.js';
import { createRedisLimitStore } from './redis-limit-store.js';

const HOLD_TTL_MS = 600_000;
const T0 = 1_800_000_000_000;

let backends: TestBackends;
let cluster: TestRedisCluster;
const clusterClients: RedisClient[] = [];

beforeAll(async () => {
  [backends, cluster] = await Promise.all([createTestBackends('limitstore'), startRedisCluster()]);
}, 60_000);

afterAll(async () => {
  for (const client of clusterClients) client.disconnect();
  await cluster?.stop();
  await backends?.cleanup();
});

/** The service's own way to connect (connectRedis), pointed at the test cluster by REDIS_CLUSTER_NODES. */
async function clusterRedis(): Promise<RedisClient> {
  const settings = loadSettings({ ...backends.env, REDIS_URL: '', ...cluster.env });
  const redis = connectRedis(settings, createLogger({ service: 'test', level: 'silent' }), { name: 'test-policy', commandTimeoutMs: 5_000, autoPipelining: true });
  clusterClients.push(redis);
  // Like a policy that reports ready only once Redis is: commands fail at once before that.
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  expect(redis.isCluster).toBe(true);
  return redis;
}

const stores: Array<[string, () => LimitStore | Promise<LimitStore>]> = [
  ['memory', () => createMemoryLimitStore({ holdTtlMs: HOLD_TTL_MS })],
  ['redis', () => createRedisLimitStore({ redis: backends.redis(), prefix: backends.env.SLUICE_REDIS_PREFIX!, holdTtlMs: HOLD_TTL_MS })],
  ['redis cluster', async () => createRedisLimitStore({ redis: await clusterRedis(), prefix: backends.env.SLUICE_REDIS_PREFIX!, holdTtlMs: HOLD_TTL_MS })],
];

function scope(fields: Partial<ScopeLimits> = {}): ScopeLimits {
  return { name: `k:${randomUUID()}`, version: -1, rpm: 0, tpm: 0, parallel: 0, budget: -1, periodStart: 0, trackSpend: false, ...fields };
}

function request(scopes: ScopeLimits[], fields: Partial<ReserveInput> = {}): ReserveInput {
  return { requestId: randomUUID(), nowMs: T0, tokens: 10, costNanos: 0, scopes, ...fields };
}

describe.each(stores)('%s limit store', (_name, create) => {
  let store: LimitStore;
  beforeAll(async () => {
    store = await create();
  });

  test('admits exactly rpm requests per window, then again when the window ends', async () => {
    const key = scope({ rpm: 3 });
    for (let index = 0; index < 3; index += 1) {
      expect((await store.reserve(request([key], { nowMs: T0 + index * 1000 }))).kind).toBe('ok');
    }
    const denied = await store.reserve(request([key], { nowMs: T0 + 10_000 }));
    expect(denied).toMatchObject({ kind: 'denied', scope: 0, reason: 'rpm', retryAfterMs: 50_000, window: { requests: 3, windowStartMs: T0 } });
    // The window started with the first request; at T0 + 60 s a new one starts.
    const next = await store.reserve(request([key], { nowMs: T0 + 60_000 }));
    expect(next).toEqual({ kind: 'ok', windows: [{ requests: 1, tokens: 10, windowStartMs: T0 + 60_000 }] });
  });

  test('decisions asked at the same moment are taken one by one, in order', async () => {
    // The Redis store runs these as one script call; the answers must be those of separate calls.
    const key = scope({ rpm: 3 });
    const repeated = request([key]);
    const results = await Promise.all([
      store.reserve(repeated),
      store.reserve(repeated),
      ...Array.from({ length: 200 }, () => store.reserve(request([key]))),
    ]);
    expect(results.map((result) => result.kind)).toEqual(['ok', 'duplicate', 'ok', 'ok', ...Array<string>(198).fill('denied')]);
    expect(results[4]).toMatchObject({ kind: 'denied', reason: 'rpm', window: { requests: 3 } });
  });

  test('is all or nothing across scopes', async () => {
    const key = scope({ rpm: 10 });
    const team = scope({ rpm: 1 });
    expect((await store.reserve(request([key, team]))).kind).toBe('ok');
    expect(await store.reserve(request([key, team]))).toMatchObject({ kind: 'denied', scope: 1, reason: 'rpm' });
    const [keyUsage, teamUsage] = await store.read([{ name: key.name, periodStart: 0 }, { name: team.name, periodStart: 0 }], T0);
    // The refused request left no trace in the scope that would have admitted it.
    expect(keyUsage!.requests).toBe(1);
    expect(teamUsage!.requests).toBe(1);
  });

  test('holds the cost estimate against the budget and settles to the real cost', async () => {
    const key = scope({ budget: 100, trackSpend: true });
    await store.seed([{ name: key.name, periodStart: 0, spentNanos: 0 }]);
    const first = request([key], { costNanos: 40 });
    expect((await store.reserve(first)).kind).toBe('ok');
    expect((await store.reserve(request([key], { costNanos: 40 }))).kind).toBe('ok');
    expect(await store.reserve(request([key], { costNanos: 40 }))).toMatchObject({ kind: 'denied', reason: 'budget', spentNanos: 0, reservedNanos: 80 });
    expect(await store.settle([{ requestId: first.requestId, costNanos: 10, tokens: 10 }])).toBe(1);
    // Settling again (a redelivered usage event) changes nothing.
    expect(await store.settle([{ requestId: first.requestId, costNanos: 10, tokens: 10 }])).toBe(0);
    const [usage] = await store.read([{ name: key.name, periodStart: 0 }], T0);
    expect(usage).toMatchObject({ spentNanos: 10, reservedNanos: 40 });
    expect((await store.reserve(request([key], { costNanos: 40 }))).kind).toBe('ok');
    expect(await store.reserve(request([key], { costNanos: 11 }))).toMatchObject({ kind: 'denied', reason: 'budget' });
  });

  test('a budget that is used up refuses even requests estimated at nothing', async () => {
    const key = scope({ budget: 50, trackSpend: true });
    await store.seed([{ name: key.name, periodStart: 0, spentNanos: 50 }]);
    expect(await store.reserve(request([key], { costNanos: 0 }))).toMatchObject({ kind: 'denied', reason: 'budget', spentNanos: 50 });
  });

  test('releases a hold whose request never reports, and still counts a late report once', async () => {
    const key = scope({ budget: 100, parallel: 1, trackSpend: true });
    await store.seed([{ name: key.name, periodStart: 0, spentNanos: 0 }]);
    const lost = request([key], { costNanos: 70 });
    expect((await store.reserve(lost)).kind).toBe('ok');
    expect(await store.reserve(request([key], { costNanos: 70, nowMs: T0 + HOLD_TTL_MS - 1 }))).toMatchObject({ kind: 'denied', reason: 'budget' });
    const [released] = await store.read([{ name: key.name, periodStart: 0 }], T0 + HOLD_TTL_MS);
    expect(released).toMatchObject({ reservedNanos: 0, parallel: 0, spentNanos: 0 });
    expect(await store.settle([{ requestId: lost.requestId, costNanos: 30, tokens: 5 }])).toBe(1);
    const [settled] = await store.read([{ name: key.name, periodStart: 0 }], T0 + HOLD_TTL_MS);
    expect(settled).toMatchObject({ reservedNanos: 0, spentNanos: 30 });
  });

  test('corrects the token window to the real tokens', async () => {
    const key = scope({ tpm: 100 });
    const first = request([key], { tokens: 30 });
    expect(await store.reserve(first)).toMatchObject({ kind: 'ok', windows: [{ tokens: 30 }] });
    await store.settle([{ requestId: first.requestId, costNanos: 0, tokens: 80 }]);
    expect(await store.reserve(request([key], { tokens: 30, nowMs: T0 + 5_000 }))).toMatchObject({
      kind: 'denied',
      reason: 'tpm',
      retryAfterMs: 55_000,
      window: { tokens: 80 },
    });
    expect((await store.reserve(request([key], { tokens: 20, nowMs: T0 + 5_000 }))).kind).toBe('ok');
  });

  test('an estimate above the tpm limit still fits an empty window', async () => {
    const key = scope({ tpm: 50 });
    expect(await store.reserve(request([key], { tokens: 500 }))).toMatchObject({ kind: 'ok', windows: [{ tokens: 50 }] });
    expect(await store.reserve(request([key], { tokens: 1 }))).toMatchObject({ kind: 'denied', reason: 'tpm' });
  });

  test('holds one parallel slot per request until release or settlement', async () => {
    const key = scope({ parallel: 1 });
    const first = request([key]);
    expect((await store.reserve(first)).kind).toBe('ok');
    expect(await store.reserve(request([key]))).toMatchObject({ kind: 'denied', reason: 'parallel', retryAfterMs: 1000 });
    expect(await store.release(first.requestId)).toBe(true);
    expect(await store.release(first.requestId)).toBe(false);
    const second = request([key]);
    expect((await store.reserve(second)).kind).toBe('ok');
    // Settling the first request now must not free the second one's slot.
    await store.settle([{ requestId: first.requestId, costNanos: 0, tokens: 10 }]);
    expect(await store.reserve(request([key]))).toMatchObject({ kind: 'denied', reason: 'parallel' });
  });

  test('an abandoned request gives back all it reserved, and one not yet reserved reserves nothing', async () => {
    const key = scope({ rpm: 2, tpm: 100, parallel: 1, budget: 50 });
    const undelivered = request([key], { tokens: 40, costNanos: 30 });
    expect((await store.reserve(undelivered)).kind).toBe('ok');
    expect(await store.abandon(undelivered.requestId)).toBe(true);
    const [after] = await store.read([{ name: key.name, periodStart: 0 }], T0);
    expect(after).toMatchObject({ reservedNanos: 0, parallel: 0, requests: 0, tokens: 0 });
    // Given up before its decision was made: the decision, when it comes, reserves nothing.
    const early = request([key], { tokens: 40, costNanos: 30 });
    expect(await store.abandon(early.requestId)).toBe(false);
    expect(await store.reserve(early)).toEqual({ kind: 'abandoned' });
    // The whole limit is there for the next requests.
    expect((await store.reserve(request([key], { tokens: 40, costNanos: 30 }))).kind).toBe('ok');
    const [usage] = await store.read([{ name: key.name, periodStart: 0 }], T0);
    expect(usage).toMatchObject({ reservedNanos: 30, parallel: 1, requests: 1, tokens: 40 });
  });

  test('answers stale when an admin change announced a newer version', async () => {
    const key = scope({ version: 4 });
    await store.announceVersions([{ name: key.name, version: 5 }]);
    await store.announceVersions([{ name: key.name, version: 3 }]);
    expect(await store.reserve(request([key]))).toEqual({ kind: 'stale', scope: 0 });
    expect((await store.reserve(request([{ ...key, version: 5 }]))).kind).toBe('ok');
  });

  test('asks for a seed before counting spend, and a seed never overwrites a counter', async () => {
    const key = scope({ trackSpend: true });
    const other = scope({ trackSpend: true });
    expect(await store.reserve(request([key, other]))).toEqual({ kind: 'unseeded', scopes: [0, 1] });
    await store.seed([{ name: key.name, periodStart: 0, spentNanos: 25 }, { name: other.name, periodStart: 0, spentNanos: 0 }]);
    const admitted = request([key, other], { costNanos: 5 });
    expect((await store.reserve(admitted)).kind).toBe('ok');
    await store.settle([{ requestId: admitted.requestId, costNanos: 5, tokens: 10 }]);
    await store.seed([{ name: key.name, periodStart: 0, spentNanos: 999 }]);
    const [usage] = await store.read([{ name: key.name, periodStart: 0 }], T0);
    expect(usage!.spentNanos).toBe(30);
  });

  test('a later budget period starts from zero, and holds from the old one do not count in it', async () => {
    const key = scope({ budget: 100, trackSpend: true, periodStart: 1000 });
    await store.seed([{ name: key.name, periodStart: 1000, spentNanos: 90 }]);
    const old = request([key], { costNanos: 10 });
    expect((await store.reserve(old)).kind).toBe('ok');
    const renewed = { ...key, periodStart: 2000 };
    expect((await store.reserve(request([renewed], { costNanos: 10 }))).kind).toBe('ok');
    await store.settle([{ requestId: old.requestId, costNanos: 10, tokens: 10 }]);
    const [usage] = await store.read([{ name: key.name, periodStart: 2000 }], T0);
    expect(usage).toMatchObject({ spentNanos: 0, reservedNanos: 10 });
    await store.resetPeriods([{ name: key.name, periodStart: 3000 }]);
    expect((await store.read([{ name: key.name, periodStart: 3000 }], T0))[0]!.spentNanos).toBe(0);
  });

  test('a repeated request id reserves nothing more', async () => {
    const key = scope({ rpm: 5 });
    const once = request([key]);
    expect((await store.reserve(once)).kind).toBe('ok');
    expect(await store.reserve(once)).toEqual({ kind: 'duplicate' });
    expect((await store.read([{ name: key.name, periodStart: 0 }], T0))[0]!.requests).toBe(1);
  });

  test('at limit - 1, exactly one of 50 concurrent requests is admitted', async () => {
    for (let round = 0; round < 5; round += 1) {
      const key = scope({ rpm: 10 });
      for (let index = 0; index < 9; index += 1) await store.reserve(request([key]));
      const results = await Promise.all(Array.from({ length: 50 }, () => store.reserve(request([key]))));
      expect(results.filter((result) => result.kind === 'ok')).toHaveLength(1);
    }
  });
});

describe('redis cluster limit store while its slot migrates', () => {
  test('scripts wait out a slot migration (ASK, TRYAGAIN, then MOVED) and find every counter on the new node', async () => {
    const redis = await clusterRedis();
    const prefix = backends.env.SLUICE_REDIS_PREFIX!;
    const store = createRedisLimitStore({ redis, prefix, holdTtlMs: HOLD_TTL_MS });
    const key = scope({ rpm: 10, budget: 1_000, trackSpend: true, version: 1 });
    const team = scope({ tpm: 1_000 });
    await store.seed([{ name: key.name, periodStart: 0, spentNanos: 100 }]);
    const first = request([key, team], { costNanos: 50 });
    expect((await store.reserve(first)).kind).toBe('ok');

    const slot = Number(await cluster.node(0).call('CLUSTER', 'KEYSLOT', `${prefix}${limitStateNamespace(prefix)}`));
    const from = await cluster.ownerOf(slot);
    const to = (from + 1) % cluster.nodes.length;
    let pending: Promise<unknown[]> | undefined;
    const settledEarly: string[] = [];
    await cluster.moveSlot(slot, to, async () => {
      // Half the slot's keys are on each node now: each of these must wait, not run on half the state.
      // (They may run in any order once the slot has moved, so this decision is made from version 2.)
      const second = request([{ ...key, version: 2 }, team], { costNanos: 50, tokens: 20 });
      pending = Promise.all([
        store.reserve(second).finally(() => settledEarly.push('reserve')),
        store.settle([{ requestId: first.requestId, costNanos: 40, tokens: 10 }]).finally(() => settledEarly.push('settle')),
        store.announceVersions([{ name: key.name, version: 2 }]).finally(() => settledEarly.push('announce')),
      ]);
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
    expect(settledEarly).toEqual([]);
    const [reserved, settledCount] = (await pending!) as [Awaited<ReturnType<LimitStore['reserve']>>, number];
    expect(await cluster.ownerOf(slot)).toBe(to);
    // The second request counted on top of the first (state that had moved and state that had not).
    expect(reserved).toEqual({ kind: 'ok', windows: [{ requests: 2, tokens: 30, windowStartMs: T0 }, { requests: 2, tokens: 30, windowStartMs: T0 }] });
    expect(settledCount).toBe(1);
    const [usage] = await store.read([{ name: key.name, periodStart: 0 }], T0);
    expect(usage).toMatchObject({ spentNanos: 140, reservedNanos: 50, requests: 2 });
    // The announced version is in force on the new node: a decision from version 1 is stale.
    expect(await store.reserve(request([key]))).toEqual({ kind: 'stale', scope: 0 });
    // Nothing of the limit state was left behind or written twice: the old node holds none of the slot.
    expect(Number(await cluster.node(from).call('CLUSTER', 'COUNTKEYSINSLOT', String(slot)))).toBe(0);
  });
});
