import { expect, test } from 'vitest';
import { emptyLimitState } from '../entities/limit-state.js';
import { KeyCache } from '../keys/key-cache.js';
import type { Entity } from '../keys/key-record.js';
import { requestEntities } from './request-entities.js';

function cacheOf(kind: 'end_user' | 'tag', ids: string[], loads: string[]): KeyCache<Entity> {
  return new KeyCache<Entity>({
    load: async (id) => {
      loads.push(`${kind}:${id}`);
      return ids.includes(id) ? { kind, id, version: 1, limits: emptyLimitState(0) } : null;
    },
    ttlMs: 60_000,
    negativeTtlMs: 5_000,
    maxEntries: 100,
    now: () => 0,
  });
}

test('the end user and each tag with a row, each once; nothing is looked up without them', async () => {
  const loads: string[] = [];
  const caches = { endUsers: cacheOf('end_user', ['cust'], loads), tags: cacheOf('tag', ['a', 'b'], loads) };
  expect(await requestEntities(caches, '', [], [])).toEqual([]);
  expect(loads).toEqual([]);
  const found = await requestEntities(caches, 'cust', ['b', 'a'], ['a', 'unknown', 'a']);
  expect(found.map((entity) => `${entity.kind}:${entity.id}`)).toEqual(['end_user:cust', 'tag:a', 'tag:b']);
  // A second request is answered from the caches, the unknown tag included.
  await requestEntities(caches, 'cust', ['b', 'a'], ['unknown']);
  expect(loads.sort()).toEqual(['end_user:cust', 'tag:a', 'tag:b', 'tag:unknown']);
});
