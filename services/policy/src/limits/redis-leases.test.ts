// The lease scripts on a real Redis and a real three-node Redis Cluster, with an injected clock: how big a
// lease may be, when there is none, that it ends with its rate window, and that giving back, settling
// and expiry leave the counters exactly as per-request holds would.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectRedis, createLogger, loadSettings, type RedisClient } from '@sluice/common';
import { createTestBackends, startRedisCluster, type TestBackends, type TestRedisCluster } from '@sluice/testing';
import { type LeaseInput, type LimitStore, type ScopeLimits, WINDOW_MS } from './limit-store.js';
import { createRedisLimitStore } from './redis-limit-store.js';

const HOLD_TTL_MS = 600_000;
const LEASE_MS = 1_000;
const MARGIN_MS = 2_000;
const T0 = 1_800_000_000_000;

let backends: TestBackends;
let cluster: TestRedisCluster;
let clusterClient: RedisClient | undefined;

beforeAll(async () => {
  [backends, cluster] = await Promise.all([createTestBackends('leasestore'), startRedisCluster()]);
}, 60_000);

afterAll(async () => {
  clusterClient?.disconnect();
  await cluster?.stop();
  await backends?.cleanup();
});

/** The service's own way to connect (connectRedis), pointed at the test cluster by REDIS_CLUSTER_NODES. */
async function clusterRedis(): Promise<RedisClient> {
  const settings = loadSettings({ ...backends.env, REDIS_URL: '', ...cluster.env });
  clusterClient = connectRedis(settings, createLogger({ service: 'test', level: 'silent' }), { name: 'test-policy', commandTimeoutMs: 5_000, autoPipelining: true });
  if (clusterClient.status !== 'ready') await new Promise((resolve) => clusterClient!.once('ready', resolve));
  expect(clusterClient.isCluster).toBe(true);
  return clusterClient;
}

const servers: Array<[string, () => RedisClient | Promise<RedisClient>]> = [
  ['redis', () => backends.redis()],
  ['redis cluster', clusterRedis],
];

function scope(fields: Partial<ScopeLimits> = {}): ScopeLimits {
  return { name: `k:${randomUUID()}`, version: 0, rpm: 0, tpm: 0, parallel: 0, budget: -1, periodStart: 0, trackSpend: false, ...fields };
}

function lease(scopes: ScopeLimits[], fields: Partial<LeaseInput> = {}): LeaseInput {
  return { leaseId: randomUUID(), nowMs: T0, requests: 1_000, tokens: 100, costNanos: 0, scopes, ...fields };
}

describe.each(servers)('leases on %s', (_name, connect) => {
  let store: LimitStore;
  beforeAll(async () => {
    store = createRedisLimitStore({
      redis: await connect(),
      prefix: backends.env.SLUICE_REDIS_PREFIX!,
      holdTtlMs: HOLD_TTL_MS,
      leaseMs: LEASE_MS,
      leaseMarginMs: MARGIN_MS,
    });
  });
  const usage = async (name: string, nowMs = T0) => (await store.read([{ name, periodStart: 0 }], nowMs))[0]!;

  test('a lease takes at most 1/64 of a limit and half of what is left; below 4 requests there is none', async () => {
    const key = scope({ rpm: 6_400 });
    expect(await store.lease!(lease([key]))).toMatchObject({ kind: 'ok', requests: 100, tokens: 10_000, durationMs: LEASE_MS });
    // What the edge asked for, when that is less.
    expect(await store.lease!(lease([key], { requests: 7 }))).toMatchObject({ kind: 'ok', requests: 7 });
    expect((await usage(key.name)).requests).toBe(107);
    // Near the limit: half of what is left, then nothing.
    await Promise.all(
      Array.from({ length: 6_280 }, () => store.reserve({ requestId: randomUUID(), nowMs: T0, tokens: 0, costNanos: 0, scopes: [key] })),
    );
    expect(await store.lease!(lease([key]))).toMatchObject({ kind: 'ok', requests: 6 });
    expect(await store.lease!(lease([key]))).toEqual({ kind: 'none' });
    const small = scope({ rpm: 200 });
    expect(await store.lease!(lease([small]))).toEqual({ kind: 'none' });
  }, 60_000);

  test('tokens and money cap the lease too; parallel limits and unpriced budgets are never leased', async () => {
    const key = scope({ tpm: 640_000, budget: 64_000_000, trackSpend: true });
    await store.seed([{ name: key.name, periodStart: 0, spentNanos: 0 }]);
    // 10,000 tokens per lease at most (1/64 of tpm) at 1,000 a request; 1,000,000 nano-USD at 100,000.
    expect(await store.lease!(lease([key], { tokens: 1_000, costNanos: 100_000 }))).toMatchObject({ kind: 'ok', requests: 10, tokens: 10_000, costNanos: 1_000_000 });
    expect((await usage(key.name)).reservedNanos).toBe(1_000_000);
    expect(await store.lease!(lease([key], { tokens: 1_000, costNanos: 0 }))).toEqual({ kind: 'none' });
    expect(await store.lease!(lease([scope({ parallel: 100 })]))).toEqual({ kind: 'none' });
  });

  test('a lease ends before the rate window it is counted in; a stale entity is reported', async () => {
    const key = scope({ rpm: 6_400 });
    await store.reserve({ requestId: randomUUID(), nowMs: T0, tokens: 0, costNanos: 0, scopes: [key] });
    expect(await store.lease!(lease([key], { nowMs: T0 + WINDOW_MS - 600 }))).toMatchObject({ kind: 'ok', durationMs: 600 });
    // Too little of the window left for a lease worth having.
    expect(await store.lease!(lease([key], { nowMs: T0 + WINDOW_MS - 200 }))).toEqual({ kind: 'none' });
    await store.announceVersions([{ name: key.name, version: 3 }]);
    expect(await store.lease!(lease([key]))).toEqual({ kind: 'stale', scope: 0 });
  });

  test('giving back and settling leave the counters as the requests really used them, once', async () => {
    const key = scope({ rpm: 64_000, tpm: 64_000_000, budget: 640_000_000, trackSpend: true });
    await store.seed([{ name: key.name, periodStart: 0, spentNanos: 0 }]);
    const asked = lease([key], { requests: 10, tokens: 1_000, costNanos: 50_000 });
    expect(await store.lease!(asked)).toMatchObject({ kind: 'ok', requests: 10, tokens: 10_000, costNanos: 500_000 });
    // The edge admitted three requests from it (estimates 1,000 tokens and 50,000 nano-USD each).
    const taken = { id: asked.leaseId, tokens: 1_000, costNanos: 50_000 };
    expect(await store.settle([{ requestId: 'a', costNanos: 30_000, tokens: 700, lease: taken }])).toBe(1);
    // It gives back the seven it did not use; two requests still run.
    expect(await store.returnLease!({ leaseId: asked.leaseId, nowMs: T0 + 500, requests: 7, tokens: 7_000, costNanos: 350_000 })).toBe(true);
    expect(await store.returnLease!({ leaseId: asked.leaseId, nowMs: T0 + 500, requests: 7, tokens: 7_000, costNanos: 350_000 })).toBe(false);
    expect(await usage(key.name, T0 + 500)).toMatchObject({ requests: 3, tokens: 3_000 - 300, reservedNanos: 100_000, spentNanos: 30_000 });
    // Settled, and settled again (a redelivered event): counted once.
    expect(await store.settle([{ requestId: 'b', costNanos: 40_000, tokens: 1_000, lease: taken }, { requestId: 'c', costNanos: 0, tokens: 0, lease: taken }])).toBe(2);
    expect(await store.settle([{ requestId: 'b', costNanos: 40_000, tokens: 1_000, lease: taken }])).toBe(0);
    expect(await usage(key.name, T0 + 500)).toMatchObject({ requests: 3, tokens: 1_700, reservedNanos: 0, spentNanos: 70_000 });
    expect(await store.openLeases!([key.name], T0 + 500)).toBe(0);
  });

  test('a batch from several leases, interleaved and with a repeat, leaves what settling one by one leaves', async () => {
    // Two keys set up alike; one key's events settle in one call, the other's one call each.
    const setUp = async () => {
      const key = scope({ rpm: 64_000, tpm: 64_000_000, budget: 640_000_000, trackSpend: true });
      await store.seed([{ name: key.name, periodStart: 0, spentNanos: 0 }]);
      const leases = [lease([key], { requests: 10, tokens: 1_000, costNanos: 50_000 }), lease([key], { requests: 4, tokens: 1_000, costNanos: 50_000 })];
      for (const asked of leases) expect(await store.lease!(asked)).toMatchObject({ kind: 'ok' });
      return { key, taken: leases.map((asked) => ({ id: asked.leaseId, tokens: 1_000, costNanos: 50_000 })) };
    };
    const batched = await setUp();
    const single = await setUp();
    // The second lease holds four requests' money and settles six estimates: what it gives back is capped.
    const events = (taken: Array<{ id: string; tokens: number; costNanos: number }>) =>
      [0, 1, 1, 0, 1, 1, 0, 1, 1].map((which, index) => ({ requestId: `r${index}`, costNanos: 10_000 * index, tokens: 500 + 200 * index, lease: taken[which]! }));
    const repeat = (list: ReturnType<typeof events>) => [...list, list[2]!, { requestId: 'gone', costNanos: 5, tokens: 5, lease: { id: randomUUID(), tokens: 1, costNanos: 1 } }];
    expect(await store.settle(repeat(events(batched.taken)))).toBe(9);
    let one = 0;
    for (const event of repeat(events(single.taken))) one += await store.settle([event]);
    expect(one).toBe(9);
    const counters = async (name: string) => ({ ...(await usage(name)), name: undefined });
    const batchedUsage = await counters(batched.key.name);
    expect(batchedUsage).toEqual(await counters(single.key.name));
    // Leased 700,000 nano-USD; the first lease gives back three estimates, the second all it holds.
    expect(batchedUsage).toMatchObject({ requests: 14, spentNanos: 360_000, tokens: 14_000 + 11_700 - 9_000, reservedNanos: 700_000 - 150_000 - 200_000 });
    // Settled again, all at once: nothing changes.
    expect(await store.settle(events(batched.taken))).toBe(0);
    expect(await counters(batched.key.name)).toEqual(batchedUsage);
    for (const { taken } of [batched, single]) {
      for (const { id } of taken) expect(await store.returnLease!({ leaseId: id, nowMs: T0, requests: 0, tokens: 0, costNanos: 1_000_000 })).toBe(true);
    }
    expect(await counters(batched.key.name)).toEqual(await counters(single.key.name));
    expect((await usage(batched.key.name)).reservedNanos).toBe(0);
  });

  test('one settle call with held and leased requests settles each the right way', async () => {
    const key = scope({ tpm: 64_000_000, budget: 640_000_000, trackSpend: true });
    await store.seed([{ name: key.name, periodStart: 0, spentNanos: 0 }]);
    const asked = lease([key], { requests: 10, tokens: 1_000, costNanos: 50_000 });
    expect(await store.lease!(asked)).toMatchObject({ kind: 'ok', requests: 10 });
    const held = randomUUID();
    expect(await store.reserve({ requestId: held, nowMs: T0, tokens: 1_000, costNanos: 50_000, scopes: [key] })).toMatchObject({ kind: 'ok' });
    const taken = { id: asked.leaseId, tokens: 1_000, costNanos: 50_000 };
    const both = [
      { requestId: held, costNanos: 20_000, tokens: 900 },
      { requestId: randomUUID(), costNanos: 10_000, tokens: 800, lease: taken },
    ];
    expect(await store.settle(both)).toBe(2);
    expect(await store.settle(both)).toBe(0);
    // The lease still holds nine requests' money; the hold's is gone.
    expect(await usage(key.name)).toMatchObject({ spentNanos: 30_000, reservedNanos: 450_000, tokens: 10_000 + 1_000 - 100 - 200 });
    expect(await store.returnLease!({ leaseId: asked.leaseId, nowMs: T0, requests: 9, tokens: 9_000, costNanos: 450_000 })).toBe(true);
    expect(await usage(key.name)).toMatchObject({ spentNanos: 30_000, reservedNanos: 0, tokens: 1_000 + 1_000 - 100 - 200 });
  });

  test('a lease never given back frees its money at its end plus the margin, and is open until its end', async () => {
    const key = scope({ budget: 640_000_000, trackSpend: true });
    await store.seed([{ name: key.name, periodStart: 0, spentNanos: 0 }]);
    expect(await store.lease!(lease([key], { requests: 10, costNanos: 50_000 }))).toMatchObject({ kind: 'ok', costNanos: 500_000 });
    expect(await store.openLeases!([key.name], T0 + LEASE_MS - 1)).toBe(1);
    expect(await store.openLeases!([key.name], T0 + LEASE_MS)).toBe(0);
    expect((await usage(key.name, T0 + LEASE_MS + MARGIN_MS - 1)).reservedNanos).toBe(500_000);
    expect((await usage(key.name, T0 + LEASE_MS + MARGIN_MS)).reservedNanos).toBe(0);
  });
});
