// The response cache through real processes and the real Redis: an answer cached through one edge/router
// pair is served by a second pair without reaching the provider (streamed or not), the per-request
// controls, allowed_cache_controls, per-team namespaces, what a hit costs, and Redis going away.
// The cache's Redis is reached through a TCP proxy (cache_params host/port from os.environ/), so the
// test can take it away without touching the shared server.
import OpenAI from 'openai';
import {
  createTestBackends,
  type FakeProvider,
  loadJsonFixture,
  loadStreamPayloads,
  type ServiceProcess,
  type Stack,
  startFakeProvider,
  startService,
  startStack,
  startTcpProxy,
  type TcpProxy,
  type TestBackends,
  writeConfigFile,
} from '@sluice/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { holdsLeft, type Reply, request } from './helpers/policy-stack.js';
import { waitFor } from './helpers/wait-for.js';

const MASTER_KEY = 'sk-cache-test-master';
const FIXTURE = 'openai__chat__openai-text';
const PRICE = { input: 10, output: 100 };

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const recordedBody = loadJsonFixture<Json>('vercel-ai', FIXTURE);
const recordedStream = loadStreamPayloads('vercel-ai', FIXTURE);

/**
 * The recorded answer, marked with the provider's request number so a test can tell which call produced
 * the answer it got: "#3 " in front of the text.
 */
function markedAnswer(index: number, stream: boolean) {
  if (!stream) {
    const body = structuredClone(recordedBody);
    body.choices[0].message.content = `#${index} ${body.choices[0].message.content}`;
    return { json: body };
  }
  let marked = false;
  const sse = recordedStream.map((payload) => {
    const chunk = JSON.parse(payload) as Json;
    if (!marked && chunk.choices[0]?.delta?.content) {
      chunk.choices[0].delta.content = `#${index} ${chunk.choices[0].delta.content}`;
      marked = true;
    }
    return JSON.stringify(chunk);
  });
  return { sse };
}

let fake: FakeProvider;
let backends: TestBackends;
let proxy: TcpProxy;
let stack: Stack;
let redis: Redis;
const extra: ServiceProcess[] = [];
/** [0]: the stack's edge and router; [1]: a second edge with its own router. */
const edges: string[] = [];

beforeAll(async () => {
  fake = await startFakeProvider((recorded, index) => markedAnswer(index, (recorded.body as { stream?: boolean }).stream === true));
  backends = await createTestBackends('cache');
  const redisUrl = new URL(backends.env.REDIS_URL!);
  proxy = await startTcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
  const config = writeConfigFile({
    model_list: [
      {
        model_name: 'gpt-test',
        litellm_params: {
          model: 'openai/gpt-4.1-nano',
          api_base: `${fake.url}/v1`,
          api_key: 'sk-upstream',
          input_cost_per_token: PRICE.input / 1_000_000,
          output_cost_per_token: PRICE.output / 1_000_000,
        },
      },
    ],
    litellm_settings: {
      cache: true,
      cache_params: { type: 'redis', host: 'os.environ/CACHE_REDIS_HOST', port: 'os.environ/CACHE_REDIS_PORT', ttl: 600, namespace_per_team: true },
    },
    general_settings: { master_key: MASTER_KEY },
  });
  stack = await startStack({ ...backends.env, SLUICE_CONFIG: config, CACHE_REDIS_HOST: '127.0.0.1', CACHE_REDIS_PORT: String(proxy.port) });
  const router = await startService('router', { ...stack.envOf('router'), SLUICE_ROUTER_PORT: '0', SLUICE_ROUTER_HTTP_PORT: '0' });
  extra.push(router);
  const edge = await startService('edge', { ...stack.envOf('edge'), SLUICE_EDGE_PORT: '0', SLUICE_EDGE_METRICS_PORT: '0', SLUICE_ROUTER_ADDRESS: `127.0.0.1:${router.ports.grpc}` });
  extra.push(edge);
  edges.push(stack.edgeUrl, `http://127.0.0.1:${edge.ports.edge}`);
  redis = backends.redis();
});

afterAll(async () => {
  await Promise.all(
    extra.map(async (service) => {
      if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGTERM');
      await service.exited;
    }),
  );
  await stack?.stop();
  await proxy?.close();
  await fake?.close();
  await backends?.cleanup();
});

let prompts = 0;
/** A prompt no other test uses, so entries never leak between tests. */
const freshPrompt = () => `Invent a holiday, variation ${++prompts}`;

const chat = (prompt: string, options: { key?: string; edge?: string; body?: Json } = {}): Promise<Reply> =>
  request(`${options.edge ?? edges[0]}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${options.key ?? MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: prompt }], ...options.body }),
  });

const admin = async (path: string, body: Json) => {
  const reply = await request(`${edges[0]}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(reply.status).toBe(200);
  return reply.body as Json;
};

const keyInfo = async (key: string) =>
  ((await request(`${edges[0]}/key/info?key=${key}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } })).body as Json).info as Json;

const textOf = (reply: Reply): string => (reply.body as Json).choices[0].message.content;

/** The SSE events of a streamed reply: the parsed chunks, and whether it ended with [DONE]. */
function events(reply: Reply): { chunks: Json[]; done: boolean } {
  const raw = (reply.body as string).split('\n\n').filter((event) => event.startsWith('data: '));
  const done = raw.at(-1) === 'data: [DONE]';
  return { chunks: raw.filter((event) => event !== 'data: [DONE]').map((event) => JSON.parse(event.slice(6)) as Json), done };
}

const streamedText = (reply: Reply) =>
  events(reply)
    .chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '')
    .join('');

const cacheHeader = (reply: Reply) => reply.headers.get('x-sluice-cache');
const cacheKey = (reply: Reply) => reply.headers.get('x-sluice-cache-key')!;
const stored = async (key: string) => (await redis.exists(`cache:${key}`)) === 1;
const waitStored = (key: string) => waitFor(() => stored(key), { message: `entry ${key} never stored` });

describe('one cache for every replica', () => {
  test('a non-streaming answer cached through one edge/router pair is a hit through the other, streamed or not', async () => {
    const prompt = freshPrompt();
    const miss = await chat(prompt, { edge: edges[0] });
    expect(miss.status).toBe(200);
    expect(cacheHeader(miss)).toBe('miss');
    const key = cacheKey(miss);
    await waitStored(key);
    const calls = fake.requests.length;

    const hit = await chat(prompt, { edge: edges[1] });
    expect(hit.status).toBe(200);
    expect(cacheHeader(hit)).toBe('hit');
    expect(cacheKey(hit)).toBe(key);
    expect(hit.body).toEqual(miss.body);

    const streamed = await chat(prompt, { edge: edges[1], body: { stream: true, stream_options: { include_usage: true } } });
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(cacheHeader(streamed)).toBe('hit');
    const { chunks, done } = events(streamed);
    expect(done).toBe(true);
    expect(streamedText(streamed)).toBe(textOf(miss));
    expect(chunks.slice(0, -1).every((chunk) => chunk.object === 'chat.completion.chunk' && chunk.choices.length === 1)).toBe(true);
    expect(chunks.at(-2)!.choices[0].finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: recordedBody.usage.prompt_tokens, completion_tokens: recordedBody.usage.completion_tokens } });

    expect(fake.requests.length).toBe(calls);
  });

  test('a streamed answer cached through one pair is replayed through the other, and assembled for a non-streaming request', async () => {
    const prompt = freshPrompt();
    const miss = await chat(prompt, { edge: edges[1], body: { stream: true } });
    expect(cacheHeader(miss)).toBe('miss');
    const text = streamedText(miss);
    expect(text).toMatch(/^#\d+ /);
    await waitStored(cacheKey(miss));
    const calls = fake.requests.length;

    // Through the OpenAI SDK, the way applications read a stream.
    const client = new OpenAI({ baseURL: `${edges[0]}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'gpt-test', messages: [{ role: 'user', content: prompt }], stream: true })
      .withResponse();
    expect(response.headers.get('x-sluice-cache')).toBe('hit');
    let replayed = '';
    let usageChunks = 0;
    for await (const chunk of stream) {
      replayed += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usageChunks += 1;
    }
    expect(replayed).toBe(text);
    expect(usageChunks).toBe(0);

    const whole = await chat(prompt, { edge: edges[0] });
    expect(cacheHeader(whole)).toBe('hit');
    expect(whole.body).toMatchObject({ object: 'chat.completion', choices: [{ message: { role: 'assistant', content: text }, finish_reason: 'stop' }] });
    expect((whole.body as Json).usage).toMatchObject({ prompt_tokens: 16, completion_tokens: 300 });

    expect(fake.requests.length).toBe(calls);
  });

  test('a hit is marked in the usage event and the spend log, at zero cost, under the same key as its miss', async () => {
    const prompt = freshPrompt();
    const miss = await chat(prompt);
    await waitStored(cacheKey(miss));
    const hit = await chat(prompt, { edge: edges[1] });
    const ids = [miss.headers.get('x-request-id')!, hit.headers.get('x-request-id')!];
    let rows: Json[] = [];
    await waitFor(async () => {
      rows = (await backends.sql.query('SELECT request_id, cache_hit, cache_key, cost_micros, prompt_tokens FROM spend_logs WHERE request_id = ANY($1)', [ids])).rows;
      return rows.length === 2;
    });
    const byId = Object.fromEntries(rows.map((row) => [row.request_id, row]));
    expect(byId[ids[0]!]).toMatchObject({ cache_hit: false, cache_key: cacheKey(miss) });
    expect(Number(byId[ids[0]!].cost_micros)).toBeGreaterThan(0);
    expect(byId[ids[1]!]).toMatchObject({ cache_hit: true, cache_key: cacheKey(miss), prompt_tokens: recordedBody.usage.prompt_tokens });
    expect(Number(byId[ids[1]!].cost_micros)).toBe(0);
  });

  test('a hit costs nothing against the budget and TPM but counts for RPM', async () => {
    const { key } = await admin('/key/generate', { max_budget: 10, rpm_limit: 1000, tpm_limit: 10_000_000 });
    const prompt = freshPrompt();
    const miss = await chat(prompt, { key });
    expect(miss.status).toBe(200);
    await waitStored(cacheKey(miss));
    await waitFor(async () => (await holdsLeft(backends)) === 0, { message: 'the miss was never settled' });
    const before = await keyInfo(key);
    expect(before.spend_micros).toBe(recordedBody.usage.prompt_tokens * PRICE.input + recordedBody.usage.completion_tokens * PRICE.output);
    expect(before.current_tpm).toBe(recordedBody.usage.prompt_tokens + recordedBody.usage.completion_tokens);
    expect(before.current_rpm).toBe(1);

    const hit = await chat(prompt, { key, edge: edges[1] });
    expect(cacheHeader(hit)).toBe('hit');
    await waitFor(async () => (await holdsLeft(backends)) === 0, { message: 'the hit was never settled' });
    const after = await keyInfo(key);
    expect(after.spend_micros).toBe(before.spend_micros);
    expect(after.reserved_spend_micros).toBe(0);
    expect(after.current_tpm).toBe(before.current_tpm);
    expect(after.current_rpm).toBe(2);
  });
});

describe('per-request controls', () => {
  test('no-cache goes to the provider and replaces the entry with the fresh answer', async () => {
    const prompt = freshPrompt();
    const first = await chat(prompt);
    await waitStored(cacheKey(first));
    const calls = fake.requests.length;
    const fresh = await chat(prompt, { body: { cache: { 'no-cache': true } } });
    expect(cacheHeader(fresh)).toBe('miss');
    expect(fake.requests.length).toBe(calls + 1);
    expect(textOf(fresh)).not.toBe(textOf(first));
    await waitFor(async () => ((await redis.getBuffer(`cache:${cacheKey(first)}`))?.toString('utf8') ?? '').includes(textOf(fresh).slice(0, 6)));
    const after = await chat(prompt, { edge: edges[1] });
    expect(cacheHeader(after)).toBe('hit');
    expect(textOf(after)).toBe(textOf(fresh));
  });

  test('no-store answers without keeping anything; the cache is still read', async () => {
    const prompt = freshPrompt();
    const unstored = await chat(prompt, { body: { cache: { 'no-store': true } } });
    expect(cacheHeader(unstored)).toBe('miss');
    // Stores run in order: once a later answer's entry is there, an entry for the first would be too.
    const later = await chat(freshPrompt());
    await waitStored(cacheKey(later));
    expect(await stored(cacheKey(unstored))).toBe(false);

    const calls = fake.requests.length;
    const plain = await chat(prompt);
    expect(cacheHeader(plain)).toBe('miss');
    expect(fake.requests.length).toBe(calls + 1);
    await waitStored(cacheKey(plain));
    const read = await chat(prompt, { body: { cache: { 'no-store': true } } });
    expect(cacheHeader(read)).toBe('hit');
  });

  test('ttl sets how long the entry lives; without it the configured ttl applies', async () => {
    const plain = await chat(freshPrompt());
    await waitStored(cacheKey(plain));
    const configured = await redis.pttl(`cache:${cacheKey(plain)}`);
    expect(configured).toBeGreaterThan(500_000);
    expect(configured).toBeLessThanOrEqual(600_000);

    const prompt = freshPrompt();
    const short = await chat(prompt, { body: { cache: { ttl: 2 } } });
    await waitStored(cacheKey(short));
    const ttl = await redis.pttl(`cache:${cacheKey(short)}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2_000);
    await waitFor(async () => !(await stored(cacheKey(short))), { message: 'the entry outlived its ttl' });
    const after = await chat(prompt);
    expect(cacheHeader(after)).toBe('miss');
  });

  test('s-maxage refuses an entry older than it and accepts a younger one', async () => {
    const prompt = freshPrompt();
    const first = await chat(prompt);
    await waitStored(cacheKey(first));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const calls = fake.requests.length;
    const young = await chat(prompt, { body: { cache: { 's-maxage': 3600 } } });
    expect(cacheHeader(young)).toBe('hit');
    expect(textOf(young)).toBe(textOf(first));
    const stale = await chat(prompt, { body: { cache: { 's-maxage': 1 } } });
    expect(cacheHeader(stale)).toBe('miss');
    expect(textOf(stale)).not.toBe(textOf(first));
    expect(fake.requests.length).toBe(calls + 1);
  });

  test('the OpenAI SDK sends the cache object as an extra body field', async () => {
    const client = new OpenAI({ baseURL: `${edges[1]}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
    const prompt = freshPrompt();
    const create = () =>
      client.chat.completions
        .create({ model: 'gpt-test', messages: [{ role: 'user', content: prompt }], cache: { 'no-store': true } } as OpenAI.ChatCompletionCreateParamsNonStreaming)
        .withResponse();
    const first = await create();
    const later = await chat(freshPrompt());
    await waitStored(cacheKey(later));
    expect(await stored(first.response.headers.get('x-sluice-cache-key')!)).toBe(false);
    expect((await create()).response.headers.get('x-sluice-cache')).toBe('miss');
  });

  test('an invalid control is a 400 naming it', async () => {
    const reply = await chat(freshPrompt(), { body: { cache: { ttl: 'soon' } } });
    expect(reply.status).toBe(400);
    expect((reply.body as Json).error).toMatchObject({ code: 'invalid_request', param: 'cache.ttl' });
  });
});

describe('allowed_cache_controls', () => {
  test('a key cannot use a control it is not allowed, until an admin allows it', async () => {
    const { key } = await admin('/key/generate', { allowed_cache_controls: ['no-cache'] });
    expect((await keyInfo(key)).allowed_cache_controls).toEqual(['no-cache']);

    const refused = await chat(freshPrompt(), { key, body: { cache: { 'no-store': true } } });
    expect(refused.status).toBe(403);
    expect((refused.body as Json).error).toMatchObject({ code: 'cache_control_not_allowed', type: 'permission_error' });
    expect((refused.body as Json).error.message).toContain('no-store');

    expect((await chat(freshPrompt(), { key, body: { cache: { 'no-cache': true } } })).status).toBe(200);
    expect((await chat(freshPrompt(), { key })).status).toBe(200);

    await admin('/key/update', { key, allowed_cache_controls: ['no-cache', 'no-store'] });
    expect((await chat(freshPrompt(), { key, body: { cache: { 'no-store': true } } })).status).toBe(200);
  });

  test('a key without the list may use every control, as in LiteLLM', async () => {
    const { key } = await admin('/key/generate', {});
    const reply = await chat(freshPrompt(), { key, body: { cache: { 'no-store': true, 'no-cache': true, ttl: 5, namespace: 'x' } } });
    expect(reply.status).toBe(200);
  });
});

describe('namespaces', () => {
  test('two teams never share an entry; each keeps its own answer', async () => {
    await admin('/team/new', { team_id: 'cache-team-a' });
    await admin('/team/new', { team_id: 'cache-team-b' });
    const { key: keyA } = await admin('/key/generate', { team_id: 'cache-team-a' });
    const { key: keyB } = await admin('/key/generate', { team_id: 'cache-team-b' });
    const prompt = freshPrompt();

    const missA = await chat(prompt, { key: keyA });
    await waitStored(cacheKey(missA));
    expect(cacheHeader(await chat(prompt, { key: keyA, edge: edges[1] }))).toBe('hit');

    const calls = fake.requests.length;
    const missB = await chat(prompt, { key: keyB });
    expect(cacheHeader(missB)).toBe('miss');
    expect(fake.requests.length).toBe(calls + 1);
    expect(cacheKey(missB)).not.toBe(cacheKey(missA));
    expect(cacheKey(missA)).toMatch(/^team\/cache-team-a:[0-9a-f]{64}$/);
    // Even naming the other team's namespace does not reach its entries.
    const sneaky = await chat(prompt, { key: keyB, body: { cache: { namespace: 'team/cache-team-a' } } });
    expect(cacheHeader(sneaky)).toBe('miss');

    await waitStored(cacheKey(missB));
    expect(textOf(await chat(prompt, { key: keyB, edge: edges[1] }))).toBe(textOf(missB));
    expect(textOf(await chat(prompt, { key: keyA }))).toBe(textOf(missA));
    expect(textOf(missA)).not.toBe(textOf(missB));
  });
});

describe('Redis unavailable', () => {
  test('requests are still answered, marked miss, and caching resumes when Redis is back', async () => {
    const prompt = freshPrompt();
    const before = await chat(prompt);
    await waitStored(cacheKey(before));
    await proxy.stop();
    try {
      const calls = fake.requests.length;
      const plain = await chat(prompt, { edge: edges[1] });
      expect(plain.status).toBe(200);
      expect(cacheHeader(plain)).toBe('miss');
      const streamed = await chat(prompt, { body: { stream: true } });
      expect(streamed.status).toBe(200);
      expect(cacheHeader(streamed)).toBe('miss');
      expect(events(streamed).done).toBe(true);
      expect(fake.requests.length).toBe(calls + 2);
    } finally {
      await proxy.start();
    }
    // The routers reconnect in the background; until then requests keep being answered as misses.
    await waitFor(async () => cacheHeader(await chat(prompt, { edge: edges[1] })) === 'hit', { timeoutMs: 30_000, intervalMs: 300 });
  });
});
