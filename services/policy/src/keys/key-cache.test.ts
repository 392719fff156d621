// The cache is given a loader (here a function over a map standing in for the loaded rows), so its
// rules can be checked exactly: when it reads, when it answers from memory, what happens on failure.
import { expect, test } from 'vitest';
import { emptyLimitState } from '../entities/limit-state.js';
import { KeyCache } from './key-cache.js';
import type { KeyRecord } from './key-record.js';

function record(token: string, version: number): KeyRecord {
  return {
    key: {
      kind: 'key',
      id: `id-${token}`,
      version,
      limits: emptyLimitState(0),
      token,
      retiredTokens: [],
      keyName: 'sk-...abcd',
      keyAlias: null,
      expiresMs: null,
      aliases: {},
      allowedCacheControls: [],
    },
    user: undefined,
    team: undefined,
    organization: undefined,
  };
}

function setup() {
  let now = 0;
  let failing = false;
  const rows = new Map<string, KeyRecord>();
  const loads: string[] = [];
  const cache = new KeyCache({
    load: async (token) => {
      loads.push(token);
      if (failing) throw new Error('database unavailable');
      return rows.get(token) ?? null;
    },
    ttlMs: 1_000,
    negativeTtlMs: 100,
    maxEntries: 3,
    now: () => now,
  });
  return {
    cache,
    rows,
    loads,
    advance: (ms: number) => (now += ms),
    fail: (value: boolean) => (failing = value),
  };
}

test('one load for concurrent first lookups, none while fresh', async () => {
  const { cache, rows, loads } = setup();
  rows.set('a', record('a', 1));
  const results = await Promise.all([cache.get('a'), cache.get('a'), cache.get('a')]);
  expect(results.map((result) => result?.key.version)).toEqual([1, 1, 1]);
  await cache.get('a');
  expect(loads).toEqual(['a']);
});

test('an expired entry answers at once and refreshes behind; a failed refresh keeps the old copy', async () => {
  const { cache, rows, loads, advance, fail } = setup();
  rows.set('a', record('a', 1));
  await cache.get('a');
  rows.set('a', record('a', 2));
  advance(1_000);
  expect((await cache.get('a'))?.key.version).toBe(1);
  await new Promise((resolve) => setImmediate(resolve));
  expect((await cache.get('a'))?.key.version).toBe(2);
  fail(true);
  advance(5_000);
  expect((await cache.get('a'))?.key.version).toBe(2);
  await new Promise((resolve) => setImmediate(resolve));
  expect((await cache.get('a'))?.key.version).toBe(2);
  expect(loads.length).toBeGreaterThanOrEqual(3);
});

test('an invalidated entry is never served: it waits for the database, and fails when it cannot read', async () => {
  const { cache, rows, fail } = setup();
  rows.set('a', record('a', 1));
  await cache.get('a');
  rows.set('a', record('a', 2));
  expect(cache.invalidate((_token, cached) => cached?.key.id === 'id-a')).toBe(1);
  expect((await cache.get('a'))?.key.version).toBe(2);
  cache.invalidate((token) => token === 'a');
  fail(true);
  await expect(cache.get('a')).rejects.toThrow('database unavailable');
});

test('unknown keys are remembered briefly, and a new key clears that at once', async () => {
  const { cache, rows, loads, advance } = setup();
  expect(await cache.get('new')).toBeNull();
  expect(await cache.get('new')).toBeNull();
  expect(loads).toEqual(['new']);
  rows.set('new', record('new', 1));
  cache.invalidate((token) => token === 'new');
  expect((await cache.get('new'))?.key.version).toBe(1);
  // An unknown key is looked up again once the short negative TTL has passed.
  expect(await cache.get('ghost')).toBeNull();
  advance(100);
  await cache.get('ghost');
  await new Promise((resolve) => setImmediate(resolve));
  expect(loads.filter((token) => token === 'ghost')).toHaveLength(2);
});

test('reload does not join a load that started before the change', async () => {
  const { cache, rows } = setup();
  rows.set('a', record('a', 1));
  const first = cache.get('a');
  rows.set('a', record('a', 2));
  const reloaded = await cache.reload('a');
  expect((await first)?.key.version).toBe(1);
  expect(reloaded?.key.version).toBe(2);
  expect((await cache.get('a'))?.key.version).toBe(2);
});

test('the least recently loaded entry goes first when the cache is full', async () => {
  const { cache, rows, loads } = setup();
  for (const token of ['a', 'b', 'c', 'd']) {
    rows.set(token, record(token, 1));
    await cache.get(token);
  }
  expect(cache.size).toBe(3);
  await cache.get('a');
  expect(loads.filter((token) => token === 'a')).toHaveLength(2);
});
