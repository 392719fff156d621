// The router's Complete call with the response cache, in process, against a fake provider (real HTTP on
// loopback) and the in-process store. The same behaviour through real processes and a real Redis is in
// test/response-cache.test.ts.
import { createLogger, parseConfig } from '@sluice/common';
import { CallType, type CacheControl, type CompletePart } from '@sluice/proto';
import { type FakeProvider, type FakeResponse, startFakeProvider } from '@sluice/testing';
import { afterEach, describe, expect, test } from 'vitest';
import { createCompleteCall } from '../routing/complete-call.js';
import { MemoryCooldownStore } from '../routing/cooldown-store.js';
import { DeploymentStats } from '../routing/deployment-stats.js';
import { buildModelRegistry } from '../routing/model-registry.js';
import { readRoutingSettings } from '../routing/routing-settings.js';
import { readCacheSettings } from './cache-settings.js';
import type { CacheStore } from './cache-store.js';
import { MemoryCacheStore } from './memory-cache-store.js';
import { ResponseCache } from './response-cache.js';

const logger = createLogger({ service: 'test', level: 'silent' });
const fakes: FakeProvider[] = [];

afterEach(async () => {
  await Promise.all(fakes.splice(0).map((provider) => provider.close()));
});

/** A provider whose n-th answer says "answer n", as a body or as a stream, so tests can tell answers apart. */
function answer(index: number, stream: boolean): FakeResponse {
  const usage = { prompt_tokens: 11, completion_tokens: 2, total_tokens: 13 };
  if (!stream) {
    return {
      json: {
        id: `chatcmpl-${index}`,
        object: 'chat.completion',
        created: 1,
        model: 'up',
        choices: [{ index: 0, message: { role: 'assistant', content: `answer ${index}` }, finish_reason: 'stop' }],
        usage,
      },
    };
  }
  const head = { id: `chatcmpl-${index}`, object: 'chat.completion.chunk', created: 1, model: 'up' };
  return {
    sse: [
      JSON.stringify({ ...head, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }),
      JSON.stringify({ ...head, choices: [{ index: 0, delta: { content: 'answer ' }, finish_reason: null }] }),
      JSON.stringify({ ...head, choices: [{ index: 0, delta: { content: String(index) }, finish_reason: null }] }),
      JSON.stringify({ ...head, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
      JSON.stringify({ ...head, choices: [], usage }),
    ],
  };
}

async function fake(respond: (index: number, stream: boolean) => FakeResponse = answer): Promise<FakeProvider> {
  const provider = await startFakeProvider((request, index) => respond(index, (request.body as { stream?: boolean }).stream === true));
  fakes.push(provider);
  return provider;
}

interface Setup {
  provider: FakeProvider;
  cacheParams?: Record<string, unknown>;
  store?: CacheStore;
  now?: () => number;
  extraGroups?: Array<{ name: string; url: string }>;
  router?: Record<string, unknown>;
}

function setup({ provider, cacheParams = {}, store = new MemoryCacheStore(), now, extraGroups = [], router = {} }: Setup) {
  const model_list = [
    { model_name: 'g', litellm_params: { model: 'openai/up', api_base: `${provider.url}/v1`, api_key: 'sk-up' }, model_info: { id: 'g-1' } },
    ...extraGroups.map((group) => ({
      model_name: group.name,
      litellm_params: { model: 'openai/up', api_base: `${group.url}/v1`, api_key: 'sk-up' },
      model_info: { id: `${group.name}-1` },
    })),
  ];
  const { config } = parseConfig({ model_list, router_settings: router, litellm_settings: { cache: true, cache_params: cacheParams } }, {});
  const result = readCacheSettings(config);
  if (result.kind !== 'on') throw new Error('cache is off');
  const cache = new ResponseCache({ settings: result.settings, store, logger, ...(now ? { now } : {}) });
  const complete = createCompleteCall({
    registry: buildModelRegistry(config),
    logger,
    settings: readRoutingSettings(config),
    cooldowns: new MemoryCooldownStore(),
    stats: new DeploymentStats(),
    cache,
    sleep: async () => undefined,
  });
  return { complete, cache, store };
}

interface CallOptions {
  stream?: boolean;
  includeUsage?: boolean;
  cache?: Partial<CacheControl>;
  tenant?: string;
  content?: string;
  callType?: CallType;
}

let counter = 0;
async function call(complete: ReturnType<typeof setup>['complete'], options: CallOptions = {}) {
  counter += 1;
  const stream = options.stream ?? false;
  const parts: CompletePart[] = [];
  const body = { model: 'g', stream, messages: [{ role: 'user', content: options.content ?? 'hi' }] };
  for await (const part of complete(
    {
      requestId: `req-${counter}`,
      callType: options.callType ?? CallType.CALL_TYPE_CHAT_COMPLETION,
      modelGroup: 'g',
      body: Buffer.from(JSON.stringify(body)),
      stream,
      includeUsage: options.includeUsage ?? false,
      cacheNamespace: options.tenant ?? '',
      cache: options.cache ? { noCache: false, noStore: false, ttlSeconds: 0, sMaxageSeconds: 0, namespace: '', useCache: false, ...options.cache } : undefined,
      traceparent: '',
      clientHeaders: {},
      owner: '',
      tags: [],
    },
    new AbortController().signal,
  )) {
    parts.push(part);
  }
  const start = parts.find((part) => part.part?.$case === 'start')?.part as Extract<CompletePart['part'], { $case: 'start' }> | undefined;
  const body_ = parts.find((part) => part.part?.$case === 'body')?.part as Extract<CompletePart['part'], { $case: 'body' }> | undefined;
  const usage = parts.find((part) => part.part?.$case === 'usage')?.part as Extract<CompletePart['part'], { $case: 'usage' }> | undefined;
  const sse = parts
    .filter((part) => part.part?.$case === 'chunk')
    .map((part) => (part.part as Extract<CompletePart['part'], { $case: 'chunk' }>).chunk.sse.toString('utf8'))
    .join('');
  const events = sse.split('\n\n').filter((event) => event.startsWith('data: ')).map((event) => JSON.parse(event.slice(6)) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
  const json = body_ ? (JSON.parse(body_.body.json.toString('utf8')) as { choices?: Array<{ message: { content: string } }> }) : undefined;
  return {
    parts,
    start: start?.start,
    usage: usage?.usage,
    body: json,
    text: json ? (json.choices?.[0]?.message.content ?? '') : events.map((event) => event.choices[0]?.delta?.content ?? '').join(''),
    events,
  };
}

describe('hits and misses', () => {
  test('a repeated request is served from the cache without reaching the provider, at no cost', async () => {
    const provider = await fake();
    const { complete, cache } = setup({ provider });
    const first = await call(complete);
    await cache.idle();
    const second = await call(complete);
    expect(provider.requests).toHaveLength(1);
    expect(first.start).toMatchObject({ cacheHit: false, deploymentId: 'g-1' });
    expect(first.start!.cacheKey).toMatch(/^[0-9a-f]{64}$/);
    expect(second.start).toMatchObject({ cacheHit: true, cacheKey: first.start!.cacheKey, deploymentId: 'g-1', attempts: 0, inputPriceMicros: 0 });
    expect(second.text).toBe('answer 0');
    expect(second.usage).toMatchObject({ promptTokens: 11, completionTokens: 2, costMicros: 0, costNanos: 0, priceSource: 'cache' });
    // Usage comes before the body, as from a provider, so the edge's headers can carry the cost.
    expect(second.parts.map((part) => part.part?.$case)).toEqual(['start', 'usage', 'body', 'finish']);
  });

  test('a streamed answer serves a non-streaming request, and a stream again with its usage chunk when asked', async () => {
    const provider = await fake();
    const { complete, cache } = setup({ provider });
    const streamed = await call(complete, { stream: true });
    expect(streamed.text).toBe('answer 0');
    await cache.idle();
    const whole = await call(complete, { stream: false });
    expect(whole.start?.cacheHit).toBe(true);
    expect(whole.text).toBe('answer 0');
    const again = await call(complete, { stream: true, includeUsage: true });
    expect(again.start?.cacheHit).toBe(true);
    expect(again.text).toBe('answer 0');
    expect(again.events.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 11, completion_tokens: 2 } });
    expect(again.events.at(-2)!.choices[0]).toMatchObject({ finish_reason: 'stop' });
    const noUsage = await call(complete, { stream: true });
    expect(noUsage.events.every((event) => event.choices.length === 1)).toBe(true);
    expect(provider.requests).toHaveLength(1);
  });

  test('a non-streamed answer is replayed to a streaming request', async () => {
    const provider = await fake();
    const { complete, cache } = setup({ provider });
    await call(complete);
    await cache.idle();
    const streamed = await call(complete, { stream: true });
    expect(streamed.start?.cacheHit).toBe(true);
    expect(streamed.events[0]!.object).toBe('chat.completion.chunk');
    expect(streamed.text).toBe('answer 0');
    expect(provider.requests).toHaveLength(1);
  });

  test('different requests and different tenants do not share entries', async () => {
    const provider = await fake();
    const { complete, cache } = setup({ provider });
    const a = await call(complete, { tenant: 'team/a' });
    await cache.idle();
    const b = await call(complete, { tenant: 'team/b' });
    const other = await call(complete, { tenant: 'team/a', content: 'something else' });
    expect(provider.requests).toHaveLength(3);
    expect(a.start!.cacheKey).toMatch(/^team\/a:/);
    expect(b.start!.cacheKey).toMatch(/^team\/b:/);
    expect(b.start!.cacheKey.split(':').at(-1)).toBe(a.start!.cacheKey.split(':').at(-1));
    expect(other.start!.cacheKey).not.toBe(a.start!.cacheKey);
    await cache.idle();
    expect((await call(complete, { tenant: 'team/b' })).text).toBe('answer 1');
  });

  test('the configured namespace prefixes every key, and a request namespace replaces it', async () => {
    const provider = await fake();
    const { complete } = setup({ provider, cacheParams: { namespace: 'prod' } });
    expect((await call(complete)).start!.cacheKey).toMatch(/^prod:[0-9a-f]{64}$/);
    expect((await call(complete, { cache: { namespace: 'experiments' } })).start!.cacheKey).toMatch(/^experiments:[0-9a-f]{64}$/);
  });
});

describe('per-request controls', () => {
  test('no-cache skips the lookup and replaces the entry with the fresh answer', async () => {
    const provider = await fake();
    const { complete, cache } = setup({ provider });
    await call(complete);
    await cache.idle();
    const fresh = await call(complete, { cache: { noCache: true } });
    expect(fresh.start?.cacheHit).toBe(false);
    expect(fresh.text).toBe('answer 1');
    await cache.idle();
    expect((await call(complete)).text).toBe('answer 1');
    expect(provider.requests).toHaveLength(2);
  });

  test('no-store answers from the provider and keeps nothing, but still reads the cache', async () => {
    const provider = await fake();
    const { complete, cache, store } = setup({ provider });
    await call(complete, { cache: { noStore: true } });
    await cache.idle();
    expect((store as MemoryCacheStore).size).toBe(0);
    await call(complete);
    await cache.idle();
    const hit = await call(complete, { cache: { noStore: true } });
    expect(hit.start?.cacheHit).toBe(true);
    expect(provider.requests).toHaveLength(2);
  });

  test('ttl sets the lifetime of the stored entry; without it the configured ttl applies', async () => {
    const provider = await fake();
    const ttls: number[] = [];
    const memory = new MemoryCacheStore();
    const store: CacheStore = {
      kind: 'memory',
      get: (key) => memory.get(key),
      set: (key, value, ttl) => {
        ttls.push(ttl);
        return memory.set(key, value, ttl);
      },
      close: () => memory.close(),
    };
    const { complete, cache } = setup({ provider, store, cacheParams: { ttl: 120 } });
    await call(complete, { cache: { ttlSeconds: 5 } });
    await call(complete, { content: 'other' });
    await cache.idle();
    expect(ttls).toEqual([5, 120]);
  });

  test('s-maxage turns an entry older than it into a miss', async () => {
    const provider = await fake();
    let now = 1_000_000;
    const { complete, cache } = setup({ provider, now: () => now, store: new MemoryCacheStore({ now: () => now }) });
    await call(complete);
    await cache.idle();
    now += 30_000;
    expect((await call(complete, { cache: { sMaxageSeconds: 60 } })).start?.cacheHit).toBe(true);
    const stale = await call(complete, { cache: { sMaxageSeconds: 10 } });
    expect(stale.start?.cacheHit).toBe(false);
    expect(stale.text).toBe('answer 1');
    expect(provider.requests).toHaveLength(2);
  });

  test('with mode default_off only requests with use-cache use the cache', async () => {
    const provider = await fake();
    const { complete, cache } = setup({ provider, cacheParams: { mode: 'default_off' } });
    const plain = await call(complete);
    await cache.idle();
    expect(plain.start?.cacheKey).toBe('');
    expect((await call(complete)).start?.cacheHit).toBe(false);
    await call(complete, { cache: { useCache: true } });
    await cache.idle();
    expect((await call(complete, { cache: { useCache: true } })).start?.cacheHit).toBe(true);
    expect(provider.requests).toHaveLength(3);
  });

  test('embeddings are cached like any other answer', async () => {
    const provider = await fake((index) => ({
      json: { object: 'list', data: [{ object: 'embedding', index: 0, embedding: [index, 0.5] }], model: 'up', usage: { prompt_tokens: 3, total_tokens: 3 } },
    }));
    const { complete, cache } = setup({ provider });
    const first = await call(complete, { callType: CallType.CALL_TYPE_EMBEDDING });
    await cache.idle();
    const second = await call(complete, { callType: CallType.CALL_TYPE_EMBEDDING });
    expect(provider.requests).toHaveLength(1);
    expect(provider.requests[0]!.path).toBe('/v1/embeddings');
    expect(second.start?.cacheHit).toBe(true);
    expect(second.body).toEqual(first.body);
    expect(second.usage).toMatchObject({ promptTokens: 3, costMicros: 0 });
    // The same body as a chat completion is another entry.
    expect((await call(complete)).start?.cacheHit).toBe(false);
  });

  test('supported_call_types limits the cache to the listed calls', async () => {
    const provider = await fake();
    const { complete, cache } = setup({ provider, cacheParams: { supported_call_types: ['aembedding'] } });
    await call(complete);
    await cache.idle();
    const again = await call(complete);
    expect(again.start?.cacheKey).toBe('');
    expect(provider.requests).toHaveLength(2);
  });
});

describe('what is never stored, and a failing store', () => {
  test('a stream that fails half-way is not stored', async () => {
    const provider = await fake((index, stream) => (index === 0 ? { ...answer(0, stream), dropAfter: 3, pieceDelayMs: 5 } : answer(index, stream)));
    const { complete, cache, store } = setup({ provider });
    const broken = await call(complete, { stream: true });
    expect(broken.parts.at(-1)?.part?.$case).toBe('error');
    await cache.idle();
    expect((store as MemoryCacheStore).size).toBe(0);
  });

  test("an answer from a fallback group is not stored under the requested group's key", async () => {
    const failing = await fake(() => ({ status: 500, json: { error: { message: 'down' } } }));
    const backup = await fake();
    const { complete, cache, store } = setup({
      provider: failing,
      extraGroups: [{ name: 'backup', url: backup.url }],
      router: { num_retries: 0, fallbacks: [{ g: ['backup'] }] },
    });
    const answered = await call(complete);
    expect(answered.text).toBe('answer 0');
    expect(answered.start?.deploymentId).toBe('backup-1');
    await cache.idle();
    expect((store as MemoryCacheStore).size).toBe(0);
  });

  test('a store that fails makes every request a miss that is still answered', async () => {
    const provider = await fake();
    const broken: CacheStore = {
      kind: 'redis',
      get: () => Promise.reject(new Error('Stream is not writeable')),
      set: () => Promise.reject(new Error('Stream is not writeable')),
      close: async () => undefined,
    };
    const { complete, cache } = setup({ provider, store: broken });
    const first = await call(complete);
    await cache.idle();
    const second = await call(complete, { stream: true });
    expect(first.text).toBe('answer 0');
    expect(second.text).toBe('answer 1');
    expect(second.start).toMatchObject({ cacheHit: false });
    expect(second.start!.cacheKey).toMatch(/^[0-9a-f]{64}$/);
  });
});
