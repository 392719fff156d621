// Anthropic's own client → edge → policy → router → a fake Anthropic provider (native pass-through) and
// a fake OpenAI-compatible one (translated): create, stream, a tool-use round trip, count_tokens, the
// bytes Anthropic receives (cache_control included), errors in Anthropic's shape, and the ledger.
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
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
import { waitFor } from './helpers/wait-for.js';

const MASTER_KEY = 'sk-e2e-master';
const TOOLS: Anthropic.Tool[] = [{ name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { location: { type: 'string' } } } }];

interface MessagesBody {
  stream?: boolean;
  tools?: unknown[];
  messages: Array<{ role: string; content: unknown }>;
}

/** The last user turn carries a tool result: the conversation's second leg. */
const answersToolResult = (body: { messages: Array<{ role: string; content: unknown }> }) => {
  const last = body.messages.at(-1)!;
  return (Array.isArray(last.content) && last.content.some((block: { type?: string }) => block.type === 'tool_result')) || last.role === 'tool';
};

const anthropicText = loadJsonFixture<{ content: Array<{ text: string }> }>('vercel-ai', 'anthropic__anthropic-text');
const CACHED_ANSWER = {
  id: 'msg_cache',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: [{ type: 'text', text: 'From the cache.' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 10, cache_creation_input_tokens: 2000, cache_read_input_tokens: 300, output_tokens: 5 },
};

function anthropicResponder(request: RecordedRequest): FakeResponse {
  const body = request.body as MessagesBody;
  if (JSON.stringify(body).includes('"cache_control"')) return { json: CACHED_ANSWER };
  const wantsTool = body.tools !== undefined && !answersToolResult(body);
  if (body.stream) return { pieces: [loadTextFixture('anthropic', wantsTool ? 'lib__fixtures__tool_use_response.txt' : 'lib__fixtures__basic_response.txt')] };
  if (wantsTool) {
    return {
      json: {
        id: 'msg_tool',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { location: 'Paris' } }],
        stop_reason: 'tool_use',
        stop_sequence: null,
        usage: { input_tokens: 40, output_tokens: 12 },
      },
    };
  }
  return { json: loadJsonFixture('vercel-ai', 'anthropic__anthropic-text') };
}

const openAiText = loadJsonFixture<{ choices: Array<{ message: { content: string } }> }>('vercel-ai', 'openai__chat__openai-text');
const CHUNK = { id: 'chatcmpl-t', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o' };
const toolStream = [
  { ...CHUNK, choices: [{ index: 0, delta: { role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }, finish_reason: null }] },
  { ...CHUNK, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"location":' } }] }, finish_reason: null }] },
  { ...CHUNK, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }, finish_reason: null }] },
  { ...CHUNK, choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] },
  { ...CHUNK, choices: [], usage: { prompt_tokens: 20, completion_tokens: 9, total_tokens: 29 } },
].map((chunk) => JSON.stringify(chunk));

function openAiResponder(request: RecordedRequest): FakeResponse {
  const body = request.body as MessagesBody;
  const wantsTool = body.tools !== undefined && !answersToolResult(body);
  if (body.stream) return { sse: wantsTool ? toolStream : loadStreamPayloads('vercel-ai', 'openai__chat__openai-text') };
  if (wantsTool) {
    return {
      json: {
        ...CHUNK,
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }] }, finish_reason: 'tool_calls' }],
        usage: { prompt_tokens: 20, completion_tokens: 9, total_tokens: 29 },
      },
    };
  }
  return { json: loadJsonFixture('vercel-ai', 'openai__chat__openai-text') };
}

let anthropicFake: FakeProvider;
let openAiFake: FakeProvider;
let backends: TestBackends;
let stack: Stack;
let client: Anthropic;

beforeAll(async () => {
  anthropicFake = await startFakeProvider(anthropicResponder);
  openAiFake = await startFakeProvider(openAiResponder);
  backends = await createTestBackends('messages');
  const config = writeConfigFile({
    model_list: [
      { model_name: 'claude', litellm_params: { model: 'anthropic/claude-sonnet-4-5', api_base: anthropicFake.url, api_key: 'sk-ant-test' } },
      { model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o', api_base: `${openAiFake.url}/v1`, api_key: 'sk-oai-test' } },
    ],
    general_settings: { master_key: MASTER_KEY },
  });
  stack = await startStack({ ...backends.env, SLUICE_CONFIG: config });
  client = new Anthropic({ baseURL: stack.edgeUrl, apiKey: MASTER_KEY, maxRetries: 0 });
});

afterAll(async () => {
  await stack?.stop();
  await anthropicFake?.close();
  await openAiFake?.close();
  await backends?.cleanup();
});

const requestIds: string[] = [];

const DEPLOYMENTS = [
  { model: 'claude', kind: 'Anthropic-native', fake: () => anthropicFake, path: '/v1/messages', text: anthropicText.content[0]!.text, streamed: 'Hello there!' },
  { model: 'gpt', kind: 'OpenAI-compatible', fake: () => openAiFake, path: '/v1/chat/completions', text: openAiText.choices[0]!.message.content, streamed: undefined },
] as const;

describe.each(DEPLOYMENTS)('$kind deployment ($model)', ({ model, fake, path, text, streamed }) => {
  test('messages.create', async () => {
    const { data, response } = await client.messages.create({ model, max_tokens: 64, messages: [{ role: 'user', content: 'Hello?' }] }).withResponse();
    requestIds.push(response.headers.get('x-request-id')!);
    expect(data.type).toBe('message');
    expect(data.role).toBe('assistant');
    expect(data.content).toEqual([{ type: 'text', text }]);
    expect(data.stop_reason).toBe('end_turn');
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    expect(data.usage.output_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-sluice-overhead-ms')).not.toBeNull();
    expect(fake().requests.at(-1)!.path).toBe(path);
  });

  test('messages.stream', async () => {
    const stream = client.messages.stream({ model, max_tokens: 64, messages: [{ role: 'user', content: 'Hello?' }] });
    let deltas = '';
    stream.on('text', (delta) => {
      deltas += delta;
    });
    const final = await stream.finalMessage();
    const expected = streamed ?? loadStreamPayloads('vercel-ai', 'openai__chat__openai-text').map((line) => (JSON.parse(line) as { choices: Array<{ delta?: { content?: string } }> }).choices[0]?.delta?.content ?? '').join('');
    expect(deltas).toBe(expected);
    expect(final.content).toEqual([{ type: 'text', text: expected, ...(final.content[0] && 'citations' in final.content[0] ? { citations: final.content[0].citations } : {}) }]);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  test('a tool-use round trip, streaming the first leg', async () => {
    const question: Anthropic.MessageParam = { role: 'user', content: 'Weather in Paris?' };
    const first = await client.messages.stream({ model, max_tokens: 64, tools: TOOLS, messages: [question] }).finalMessage();
    expect(first.stop_reason).toBe('tool_use');
    const call = first.content.find((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use')!;
    expect(call.name).toBe('get_weather');
    expect(call.input).toEqual({ location: 'Paris' });
    const second = await client.messages.create({
      model,
      max_tokens: 64,
      tools: TOOLS,
      messages: [question, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '18C and sunny' }] }],
    });
    expect(second.stop_reason).toBe('end_turn');
    expect(second.content[0]).toMatchObject({ type: 'text', text });
    // The provider saw the tool result in its own format.
    const upstream = JSON.stringify(fake().requests.at(-1)!.body);
    expect(upstream).toContain('18C and sunny');
    expect(upstream).toContain(call.id);
  });

  test('a bearer token works as well as x-api-key', async () => {
    const bearer = new Anthropic({ baseURL: stack.edgeUrl, apiKey: null, authToken: MASTER_KEY, maxRetries: 0 });
    const message = await bearer.messages.create({ model, max_tokens: 16, messages: [{ role: 'user', content: 'Hello?' }] });
    expect(message.content[0]).toMatchObject({ type: 'text', text });
  });
});

test('a cache_control block reaches Anthropic byte for byte; its headers too; cache reads and writes are counted', async () => {
  const sent =
    '{\n  "model": "claude",\n  "max_tokens": 32,\n  "system": [{"type": "text", "text": "A long, stable preamble.", "cache_control": {"type": "ephemeral", "ttl": "1h"}}],\n' +
    '  "messages": [{"role": "user", "content": [{"type": "text", "text": "Caf\\u00e9?", "cache_control": {"type": "ephemeral"}}]}]\n}';
  const response = await fetch(`${stack.edgeUrl}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': MASTER_KEY, 'anthropic-version': '2023-06-01', 'anthropic-beta': 'extended-cache-ttl-2025-04-11' },
    body: sent,
  });
  expect(response.status).toBe(200);
  const answer = (await response.json()) as typeof CACHED_ANSWER;
  expect(answer).toEqual(CACHED_ANSWER);
  const upstream = anthropicFake.requests.at(-1)!;
  const expectedBytes = sent.replace('"model": "claude"', '"model": "claude-sonnet-4-5"');
  // The body had a \u00XX escape, so the router re-serialized it: the same JSON, cache_control untouched.
  expect(JSON.parse(upstream.raw.toString())).toEqual(JSON.parse(expectedBytes));
  expect(upstream.headers['anthropic-version']).toBe('2023-06-01');
  expect(upstream.headers['anthropic-beta']).toBe('extended-cache-ttl-2025-04-11');
  expect(upstream.headers['x-api-key']).toBe('sk-ant-test');

  const plain = sent.replace('Caf\\u00e9', 'Cafe');
  const second = await fetch(`${stack.edgeUrl}/v1/messages`, { method: 'POST', headers: { 'x-api-key': MASTER_KEY }, body: plain });
  expect(second.status).toBe(200);
  expect(anthropicFake.requests.at(-1)!.raw.toString()).toBe(plain.replace('"model": "claude"', '"model": "claude-sonnet-4-5"'));
  const requestId = second.headers.get('x-request-id')!;
  await waitFor(async () => (await backends.sql.query('SELECT 1 FROM spend_logs WHERE request_id = $1', [requestId])).rowCount === 1, { timeoutMs: 20_000 });
  const row = (await backends.sql.query<{ call_type: string; prompt_tokens: number; cached_tokens: number; completion_tokens: number }>(
    'SELECT call_type, prompt_tokens, cached_tokens, completion_tokens FROM spend_logs WHERE request_id = $1',
    [requestId],
  )).rows[0]!;
  expect(row).toEqual({ call_type: 'anthropic_messages', prompt_tokens: 2310, cached_tokens: 300, completion_tokens: 5 });
});

test('anthropic headers never reach an OpenAI-compatible provider', async () => {
  await fetch(`${stack.edgeUrl}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': MASTER_KEY, 'anthropic-beta': 'x', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'gpt', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }),
  });
  const upstream = openAiFake.requests.at(-1)!;
  expect(upstream.headers['anthropic-beta']).toBeUndefined();
  expect(upstream.headers['anthropic-version']).toBeUndefined();
  expect(upstream.headers.authorization).toBe('Bearer sk-oai-test');
});

test('count_tokens: an estimate, without a provider call', async () => {
  const before = anthropicFake.requests.length;
  const counted = await client.messages.countTokens({ model: 'claude', system: 'Be brief.', messages: [{ role: 'user', content: 'x'.repeat(400) }] });
  expect(counted.input_tokens).toBeGreaterThanOrEqual(100);
  expect(counted.input_tokens).toBeLessThan(130);
  expect(anthropicFake.requests.length).toBe(before);
});

describe("errors in Anthropic's shape, with the error table's status", () => {
  const post = (body: string, headers: Record<string, string> = { 'x-api-key': MASTER_KEY }) =>
    fetch(`${stack.edgeUrl}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  test.each([
    ['max_tokens missing', JSON.stringify({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] }), undefined, 400, 'invalid_request_error', /max_tokens/],
    ['a system role in messages', JSON.stringify({ model: 'claude', max_tokens: 5, messages: [{ role: 'system', content: 'hi' }] }), undefined, 400, 'invalid_request_error', /role/],
    ['temperature above 1', JSON.stringify({ model: 'claude', max_tokens: 5, temperature: 1.5, messages: [{ role: 'user', content: 'hi' }] }), undefined, 400, 'invalid_request_error', /temperature/],
    ['a block without a type', JSON.stringify({ model: 'claude', max_tokens: 5, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }), undefined, 400, 'invalid_request_error', /content/],
    ['broken JSON', '{"model": "claude",', undefined, 400, 'invalid_request_error', /JSON/],
    ['an api_base from the client', JSON.stringify({ model: 'claude', max_tokens: 5, api_base: 'http://evil', messages: [{ role: 'user', content: 'hi' }] }), undefined, 400, 'invalid_request_error', /api_base/],
    ['no key', JSON.stringify({ model: 'claude', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }), {}, 401, 'authentication_error', /key/i],
    ['a wrong key', JSON.stringify({ model: 'claude', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }), { 'x-api-key': 'sk-wrong' }, 401, 'authentication_error', /key/i],
    ['an unknown model', JSON.stringify({ model: 'nope', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }), undefined, 404, 'not_found_error', /nope|model/],
    ['a PDF to a chat provider', JSON.stringify({ model: 'gpt', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } }] }] }), undefined, 400, 'invalid_request_error', /PDF/],
  ])('%s', async (_name, body, headers, status, type, message) => {
    const response = await post(body, headers);
    expect(response.status).toBe(status);
    const error = (await response.json()) as { type: string; error: { type: string; message: string } };
    expect(error.type).toBe('error');
    expect(error.error.type).toBe(type);
    expect(error.error.message).toMatch(message);
    expect(Object.keys(error).sort()).toEqual(['error', 'type']);
  });

  test('the SDK raises its own error classes', async () => {
    const wrong = new Anthropic({ baseURL: stack.edgeUrl, apiKey: 'sk-wrong', maxRetries: 0 });
    await expect(wrong.messages.create({ model: 'claude', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    await expect(client.messages.create({ model: 'nope', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });

  test('an error event after HTTP 200 reaches the client as an Anthropic error event', async () => {
    const payloads = loadTextFixture('anthropic', 'lib__fixtures__basic_response.txt').split('event: message_delta')[0]!;
    anthropicFake.respondWith(() => ({ pieces: [payloads, 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'] }));
    try {
      const response = await post(JSON.stringify({ model: 'claude', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'hi' }] }));
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text.startsWith('event: message_start\n')).toBe(true);
      expect(text).toMatch(/event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"[^"]+"\}\}\n\n$/);
      expect(text).not.toContain('[DONE]');
      await expect(client.messages.stream({ model: 'claude', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }).finalMessage()).rejects.toThrow();
    } finally {
      anthropicFake.respondWith(anthropicResponder);
    }
  });
});

test('a translated stream failing after HTTP 200 ends with an Anthropic error event, without message_stop', async () => {
  const chunks = loadStreamPayloads('vercel-ai', 'openai__chat__openai-text').slice(0, 3);
  openAiFake.respondWith(() => ({ sse: [...chunks, JSON.stringify({ error: { message: 'upstream broke', type: 'server_error' } })] }));
  try {
    const response = await fetch(`${stack.edgeUrl}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': MASTER_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text.startsWith('event: message_start\n')).toBe(true);
    expect(text).toContain('event: content_block_delta');
    expect(text).toMatch(/event: error\ndata: \{"type":"error","error":\{"type":"[a-z_]+","message":"[^"]+"\}\}\n\n$/);
    expect(text).not.toContain('event: message_stop');
  } finally {
    openAiFake.respondWith(openAiResponder);
  }
});

test('every request has its ledger row, call type anthropic_messages', async () => {
  await waitFor(async () => {
    const result = await backends.sql.query<{ count: number }>('SELECT count(*)::int AS count FROM spend_logs WHERE request_id = ANY($1)', [requestIds]);
    return result.rows[0]!.count === requestIds.length;
  }, { timeoutMs: 20_000 });
  const rows = await backends.sql.query<{ provider: string; call_type: string; status: string; prompt_tokens: number }>(
    'SELECT provider, call_type, status, prompt_tokens FROM spend_logs WHERE request_id = ANY($1)',
    [requestIds],
  );
  expect(rows.rows.map((row) => row.provider).sort()).toEqual(['anthropic', 'openai']);
  for (const row of rows.rows) expect(row).toMatchObject({ call_type: 'anthropic_messages', status: 'success' });
});
