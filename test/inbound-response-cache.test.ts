// The response cache for Anthropic Messages and OpenAI Responses clients, through real processes, the
// real Redis and Postgres: a cached /v1/messages answer is replayed in Anthropic's shape and a cached
// /v1/responses answer in the Responses shape (a new response id, stored when store is true), streamed
// or not, whichever way the entry was made; per-team entries; hits in the ledger at zero cost.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import {
  createTestBackends,
  type FakeProvider,
  type FakeResponse,
  loadJsonFixture,
  loadStreamPayloads,
  loadTextFixture,
  type RecordedRequest,
  type Stack,
  startFakeProvider,
  startStack,
  type TestBackends,
  writeConfigFile,
} from '@sluice/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Reply, request } from './helpers/policy-stack.js';
import { waitFor } from './helpers/wait-for.js';

const MASTER_KEY = 'sk-inbound-cache-master';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const RESPONSES_FIXTURE = 'openai__responses__openai-reasoning-encrypted-content.1';
const responsesStream = loadStreamPayloads('vercel-ai', RESPONSES_FIXTURE);

/** One provider speaking every format the test needs, decided by the path it is called on. */
function responder(recorded: RecordedRequest): FakeResponse {
  const body = recorded.body as { stream?: boolean };
  if (recorded.path.endsWith('/messages')) {
    if (body.stream) return { pieces: [loadTextFixture('anthropic', 'lib__fixtures__basic_response.txt')] };
    return { json: loadJsonFixture('vercel-ai', 'anthropic__anthropic-text') };
  }
  if (recorded.path.endsWith('/responses')) {
    if (body.stream) return { pieces: responsesStream.map((line) => `event: ${(JSON.parse(line) as { type: string }).type}\ndata: ${line}\n\n`) };
    return { json: loadJsonFixture('vercel-ai', RESPONSES_FIXTURE) };
  }
  if (body.stream) return { sse: loadStreamPayloads('vercel-ai', 'openai__chat__openai-text') };
  return { json: loadJsonFixture('vercel-ai', 'openai__chat__openai-text') };
}

let fake: FakeProvider;
let backends: TestBackends;
let stack: Stack;
let redis: Redis;

beforeAll(async () => {
  fake = await startFakeProvider(responder);
  backends = await createTestBackends('inbound-cache');
  const config = writeConfigFile({
    model_list: [
      { model_name: 'claude', litellm_params: { model: 'anthropic/claude-sonnet-4-5', api_base: fake.url, api_key: 'sk-ant-test' } },
      { model_name: 'gpt', litellm_params: { model: 'openai/gpt-5', api_base: `${fake.url}/v1`, api_key: 'sk-oai-test' } },
      // An OpenAI-compatible server: Messages and Responses clients both reach it through chat.
      { model_name: 'compatible', litellm_params: { model: 'hosted_vllm/llama', api_base: `${fake.url}/v1`, api_key: 'sk-vllm' } },
    ],
    litellm_settings: { cache: true, cache_params: { type: 'redis', ttl: 600, namespace_per_team: true } },
    general_settings: { master_key: MASTER_KEY },
  });
  stack = await startStack({ ...backends.env, SLUICE_CONFIG: config });
  redis = backends.redis();
});

afterAll(async () => {
  await stack?.stop();
  await fake?.close();
  await backends?.cleanup();
});

let prompts = 0;
const freshPrompt = () => `Name a river, variation ${++prompts}`;

const post = (path: string, body: Json, key = MASTER_KEY): Promise<Reply> =>
  request(`${stack.edgeUrl}${path}`, { method: 'POST', headers: { 'x-api-key': key, authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

const messages = (prompt: string, model: string, extra: Json = {}, key?: string) =>
  post('/v1/messages', { model, max_tokens: 64, system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: prompt }], ...extra }, key);
const responses = (prompt: string, model: string, extra: Json = {}, key?: string) => post('/v1/responses', { model, input: prompt, ...extra }, key);

const cacheHeader = (reply: Reply) => reply.headers.get('x-sluice-cache');
const cacheKey = (reply: Reply) => reply.headers.get('x-sluice-cache-key')!;
const waitStored = (key: string) => waitFor(async () => (await redis.exists(`cache:${key}`)) === 1, { message: `entry ${key} never stored` });

/** Named SSE events: [event name, parsed data]. */
function sseEvents(text: string): Array<[string, Json]> {
  return text
    .split('\n\n')
    .filter((event) => event.startsWith('event: '))
    .map((event) => {
      const [name, data] = event.split('\n');
      return [name!.slice('event: '.length), JSON.parse(data!.slice('data: '.length)) as Json];
    });
}

const messageText = (body: Json) => (body.content as Json[]).filter((block) => block.type === 'text').map((block) => block.text).join('');
const responseText = (body: Json) =>
  (body.output as Json[])
    .filter((item) => item.type === 'message')
    .flatMap((item) => item.content as Json[])
    .map((part) => part.text)
    .join('');

describe.each([
  { model: 'claude', kind: 'Anthropic-native' },
  { model: 'compatible', kind: 'translated' },
])('/v1/messages, $kind deployment', ({ model }) => {
  test('a repeated request is a hit in Anthropic\'s shape, streamed or not, without reaching the provider', async () => {
    const prompt = freshPrompt();
    const miss = await messages(prompt, model);
    expect(miss.status).toBe(200);
    expect(cacheHeader(miss)).toBe('miss');
    await waitStored(cacheKey(miss));
    const calls = fake.requests.length;

    const hit = await messages(prompt, model);
    expect(cacheHeader(hit)).toBe('hit');
    expect(hit.body).toEqual(miss.body);

    // Through Anthropic's SDK: the cached message told again as its stream.
    const client = new Anthropic({ baseURL: stack.edgeUrl, apiKey: MASTER_KEY, maxRetries: 0 });
    const stream = client.messages.stream({ model, max_tokens: 64, system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: prompt }] });
    let deltas = '';
    stream.on('text', (text) => {
      deltas += text;
    });
    const final = await stream.finalMessage();
    expect(deltas).toBe(messageText(miss.body));
    expect(final.id).toBe(miss.body.id);
    expect(final.stop_reason).toBe(miss.body.stop_reason);
    expect(final.usage.output_tokens).toBe(miss.body.usage.output_tokens);
    expect(fake.requests.length).toBe(calls);
  });

  test('a streamed answer is kept as its message: a non-streaming hit gets the message, a streaming one the events', async () => {
    const prompt = freshPrompt();
    const miss = await messages(prompt, model, { stream: true });
    expect(cacheHeader(miss)).toBe('miss');
    const missEvents = sseEvents(miss.body as string);
    const missText = missEvents.filter(([name, data]) => name === 'content_block_delta' && data.delta.type === 'text_delta').map(([, data]) => data.delta.text).join('');
    await waitStored(cacheKey(miss));
    const calls = fake.requests.length;

    const hit = await messages(prompt, model);
    expect(cacheHeader(hit)).toBe('hit');
    expect(hit.body).toMatchObject({ type: 'message', role: 'assistant' });
    expect(messageText(hit.body)).toBe(missText);

    const streamed = await messages(prompt, model, { stream: true });
    expect(cacheHeader(streamed)).toBe('hit');
    const names = sseEvents(streamed.body as string).map(([name]) => name);
    expect(names[0]).toBe('message_start');
    expect(names.at(-1)).toBe('message_stop');
    expect(names).toContain('content_block_delta');
    expect(names).toContain('message_delta');
    expect(fake.requests.length).toBe(calls);
  });
});

describe.each([
  { model: 'gpt', kind: 'OpenAI-native' },
  { model: 'compatible', kind: 'translated' },
])('/v1/responses, $kind deployment', ({ model }) => {
  test('a hit is a new response, in the Responses shape, stored like any other', async () => {
    const client = new OpenAI({ baseURL: `${stack.edgeUrl}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
    const prompt = freshPrompt();
    const { data: miss, response: missResponse } = await client.responses.create({ model, input: prompt }).withResponse();
    expect(missResponse.headers.get('x-sluice-cache')).toBe('miss');
    await waitStored(missResponse.headers.get('x-sluice-cache-key')!);
    const calls = fake.requests.length;

    const { data: hit, response: hitResponse } = await client.responses.create({ model, input: prompt }).withResponse();
    expect(hitResponse.headers.get('x-sluice-cache')).toBe('hit');
    expect(hit.object).toBe('response');
    expect(hit.output_text).toBe(miss.output_text);
    expect(hit.id).not.toBe(miss.id);
    expect(hit.id).toMatch(/^resp_/);
    // store defaults to true: the new response can be fetched and continued.
    await waitFor(async () => (await client.responses.retrieve(hit.id).then(() => true, () => false)), { timeoutMs: 10_000 });
    expect((await client.responses.retrieve(hit.id)).output_text).toBe(miss.output_text);

    // Streamed from the same entry, through OpenAI's SDK.
    const stream = client.responses.stream({ model, input: prompt });
    let deltas = '';
    stream.on('response.output_text.delta', (event) => {
      deltas += event.delta;
    });
    const final = await stream.finalResponse();
    expect(deltas).toBe(miss.output_text);
    expect(final.output_text).toBe(miss.output_text);
    expect(final.status).toBe('completed');
    expect(final.id).not.toBe(miss.id);
    expect(final.id).not.toBe(hit.id);
    expect(fake.requests.length).toBe(calls);
  });

  test('a streamed answer is kept as its response: a non-streaming hit gets it under a new id; store: false keeps nothing', async () => {
    const prompt = freshPrompt();
    const miss = await responses(prompt, model, { stream: true });
    expect(cacheHeader(miss)).toBe('miss');
    // The recording holds several turns; the stream's last response.completed is the answer.
    const completed = sseEvents(miss.body as string).findLast(([name]) => name === 'response.completed')![1].response as Json;
    await waitStored(cacheKey(miss));

    const hit = await responses(prompt, model, { store: false });
    expect(cacheHeader(hit)).toBe('hit');
    expect(responseText(hit.body)).toBe(responseText(completed));
    expect(hit.body.id).not.toBe(completed.id);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const fetched = await request(`${stack.edgeUrl}/v1/responses/${hit.body.id}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
    expect(fetched.status).toBe(404);
  });
});

test('entries are per team; hits have their ledger rows with cache_hit and no cost, under each call type', async () => {
  const admin = (path: string, body: Json) => post(path, body).then((reply) => reply.body as Json);
  await admin('/team/new', { team_id: 'inbound-cache-a' });
  await admin('/team/new', { team_id: 'inbound-cache-b' });
  const { key: keyA } = await admin('/key/generate', { team_id: 'inbound-cache-a' });
  const { key: keyB } = await admin('/key/generate', { team_id: 'inbound-cache-b' });
  const ids: Array<{ id: string; hit: boolean; callType: string }> = [];
  for (const [callType, send] of [
    ['anthropic_messages', (prompt: string, key: string) => messages(prompt, 'claude', {}, key)],
    ['responses', (prompt: string, key: string) => responses(prompt, 'gpt', {}, key)],
  ] as const) {
    const prompt = freshPrompt();
    const missA = await send(prompt, keyA);
    expect(cacheKey(missA)).toMatch(/^team\/inbound-cache-a:[0-9a-f]{64}$/);
    await waitStored(cacheKey(missA));
    const hitA = await send(prompt, keyA);
    expect(cacheHeader(hitA)).toBe('hit');
    const calls = fake.requests.length;
    const missB = await send(prompt, keyB);
    expect(cacheHeader(missB)).toBe('miss');
    expect(fake.requests.length).toBe(calls + 1);
    ids.push({ id: missA.headers.get('x-request-id')!, hit: false, callType }, { id: hitA.headers.get('x-request-id')!, hit: true, callType });
  }
  let rows: Json[] = [];
  await waitFor(async () => {
    rows = (await backends.sql.query('SELECT request_id, call_type, cache_hit, cost_micros, prompt_tokens FROM spend_logs WHERE request_id = ANY($1)', [ids.map((entry) => entry.id)])).rows;
    return rows.length === ids.length;
  });
  for (const expected of ids) {
    const row = rows.find((candidate) => candidate.request_id === expected.id)!;
    expect(row).toMatchObject({ call_type: expected.callType, cache_hit: expected.hit });
    expect(row.prompt_tokens).toBeGreaterThan(0);
    if (expected.hit) expect(Number(row.cost_micros)).toBe(0);
    else expect(Number(row.cost_micros)).toBeGreaterThan(0);
  }
});
