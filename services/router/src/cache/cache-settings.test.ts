import { parseConfig } from '@sluice/common';
import { CallType } from '@sluice/proto';
import { expect, test } from 'vitest';
import { DEFAULT_TTL_SECONDS, readCacheSettings } from './cache-settings.js';

const read = (litellm: Record<string, unknown>, env: Record<string, string> = {}) =>
  readCacheSettings(parseConfig({ model_list: [], litellm_settings: litellm }, env).config);

test('caching is off unless litellm_settings.cache is true', () => {
  expect(read({}).kind).toBe('off');
  expect(read({ cache: false, cache_params: { type: 'redis' } }).kind).toBe('off');
});

test("LiteLLM's config with os.environ/ values builds the cache's Redis URL", () => {
  const result = read(
    { cache: true, cache_params: { type: 'redis', host: 'os.environ/REDIS_HOST', port: 'os.environ/REDIS_PORT', password: 'os.environ/REDIS_PASSWORD', ttl: 600 } },
    { REDIS_HOST: 'cache.internal', REDIS_PORT: '6380', REDIS_PASSWORD: 'p@ss:word' },
  );
  expect(result).toMatchObject({ kind: 'on', settings: { type: 'redis', redisUrl: 'redis://:p%40ss%3Aword@cache.internal:6380', ttlSeconds: 600 } });
});

test('a url is used as given; ssl and a username are honoured with separate fields', () => {
  expect(read({ cache: true, cache_params: { url: 'rediss://example:6390/2' } })).toMatchObject({ settings: { redisUrl: 'rediss://example:6390/2' } });
  expect(read({ cache: true, cache_params: { host: 'h', ssl: true, username: 'u' } })).toMatchObject({ settings: { redisUrl: 'rediss://u@h:6379' } });
});

test("cache_params.redis_startup_nodes: the cache's own Redis Cluster (LiteLLM's name)", () => {
  const result = read(
    { cache: true, cache_params: { type: 'redis', redis_startup_nodes: [{ host: '127.0.0.1', port: '7001' }, { host: 'os.environ/NODE2' }], password: 'os.environ/PW', ssl: true } },
    { NODE2: 'cache-2.internal', PW: 'secret' },
  );
  expect(result).toMatchObject({
    kind: 'on',
    settings: { redisUrl: undefined, redisCluster: { nodes: [{ host: '127.0.0.1', port: 7001 }, { host: 'cache-2.internal', port: 6379 }], password: 'secret', tls: true } },
  });
});

test('defaults: Redis from REDIS_URL, an hour, every call type, default on', () => {
  const result = read({ cache: true });
  expect(result.kind).toBe('on');
  if (result.kind !== 'on') return;
  expect(result.settings).toMatchObject({ type: 'redis', redisUrl: undefined, ttlSeconds: DEFAULT_TTL_SECONDS, namespace: '', defaultOff: false });
  expect([...result.settings.callTypes].sort()).toEqual(
    [CallType.CALL_TYPE_CHAT_COMPLETION, CallType.CALL_TYPE_COMPLETION, CallType.CALL_TYPE_EMBEDDING, CallType.CALL_TYPE_ANTHROPIC_MESSAGES, CallType.CALL_TYPE_RESPONSES].sort(),
  );
});

test("supported_call_types takes LiteLLM's names; an empty list caches nothing", () => {
  const listed = read({ cache: true, cache_params: { supported_call_types: ['acompletion', 'aembedding', 'atranscription'] } });
  expect(listed.kind === 'on' && [...listed.settings.callTypes].sort()).toEqual([CallType.CALL_TYPE_CHAT_COMPLETION, CallType.CALL_TYPE_EMBEDDING].sort());
  const inbound = read({ cache: true, cache_params: { supported_call_types: ['anthropic_messages', 'aresponses'] } });
  expect(inbound.kind === 'on' && [...inbound.settings.callTypes].sort()).toEqual([CallType.CALL_TYPE_ANTHROPIC_MESSAGES, CallType.CALL_TYPE_RESPONSES].sort());
  const none = read({ cache: true, cache_params: { supported_call_types: [] } });
  expect(none.kind === 'on' && none.settings.callTypes.size).toBe(0);
});

test('a cache type Sluice does not implement is reported, not silently replaced', () => {
  expect(read({ cache: true, cache_params: { type: 's3', s3_bucket_name: 'b' } })).toEqual({ kind: 'unsupported', type: 's3' });
  expect(read({ cache: true, cache_params: { type: 'local', mode: 'default_off', namespace: 'n' } })).toMatchObject({
    kind: 'on',
    settings: { type: 'local', redisUrl: undefined, defaultOff: true, namespace: 'n' },
  });
});
