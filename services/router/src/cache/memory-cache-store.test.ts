import { expect, test } from 'vitest';
import { MemoryCacheStore } from './memory-cache-store.js';

test('an entry lives for its ttl on the injected clock', async () => {
  let now = 1_000;
  const store = new MemoryCacheStore({ now: () => now });
  await store.set('k', Buffer.from('v'), 10);
  now += 9_999;
  expect((await store.get('k'))?.toString()).toBe('v');
  now += 1;
  expect(await store.get('k')).toBeNull();
  expect(store.size).toBe(0);
  expect(store.storedBytes).toBe(0);
});

test('past its byte bound the least recently used entries go first', async () => {
  const store = new MemoryCacheStore({ maxBytes: 30 });
  await store.set('a', Buffer.alloc(10), 60);
  await store.set('b', Buffer.alloc(10), 60);
  await store.set('c', Buffer.alloc(10), 60);
  // Reading "a" makes "b" the least recently used.
  expect(await store.get('a')).not.toBeNull();
  await store.set('d', Buffer.alloc(10), 60);
  expect(await store.get('b')).toBeNull();
  expect(await store.get('a')).not.toBeNull();
  expect(await store.get('c')).not.toBeNull();
  expect(await store.get('d')).not.toBeNull();
  expect(store.storedBytes).toBe(30);
});

test('is bounded in entries, replaces an entry in place and refuses a value larger than the whole store', async () => {
  const store = new MemoryCacheStore({ maxBytes: 100, maxEntries: 2 });
  await store.set('a', Buffer.from('1'), 60);
  await store.set('a', Buffer.from('22'), 60);
  expect(store.size).toBe(1);
  expect(store.storedBytes).toBe(2);
  await store.set('b', Buffer.from('3'), 60);
  await store.set('c', Buffer.from('4'), 60);
  expect(store.size).toBe(2);
  expect(await store.get('a')).toBeNull();
  await store.set('huge', Buffer.alloc(101), 60);
  expect(await store.get('huge')).toBeNull();
  expect(store.size).toBe(2);
});
