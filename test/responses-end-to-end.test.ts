// OpenAI's own client on the Responses API → edge → policy → router → a fake OpenAI (native pass-through)
// and a fake Anthropic (translated through chat): create, stream, a two-turn conversation with
// previous_response_id, GET and DELETE of stored responses scoped to their key, errors, and the ledger.
import OpenAI from 'openai';
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
const RECORDED = 'openai__responses__openai-reasoning-encrypted-content.1';
const recordedAnswer = loadJsonFixture<{ output: Array<{ type: string; content?: Array<{ text: string }> }> }>('vercel-ai', RECORDED);
const recordedText = recordedAnswer.output.find((item) => item.type === 'message')!.content![0]!.text;
const recordedStream = loadStreamPayloads('vercel-ai', RECORDED);
const recordedStreamText = recordedStream
  .map((line) => JSON.parse(line) as { type: string; delta?: string })
  .filter((event) => event.type === 'response.output_text.delta')
  .map((event) => event.delta)
  .join('');

function openAiResponder(request: RecordedRequest, index: number): FakeResponse {
  const body = request.body as { stream?: boolean };
  if (body.stream) return { pieces: recordedStream.map((line) => `event: ${(JSON.parse(line) as { type: string }).type}\ndata: ${line}\n\n`) };
  // Each answer its own id, as OpenAI's are: the store keeps one row per id.
  return { json: { ...loadJsonFixture<Record<string, unknown>>('vercel-ai', RECORDED), id: `resp_fake${index}` } };
}

const anthropicText = loadJsonFixture<{ content: Array<{ text: string }> }>('vercel-ai', 'anthropic__anthropic-text').content[0]!.text;
function anthropicResponder(request: RecordedRequest): FakeResponse {
  const body = request.body as { stream?: boolean };
  if (body.stream) return { pieces: [loadTextFixture('anthropic', 'lib__fixtures__basic_response.txt')] };
  return { json: loadJsonFixture('vercel-ai', 'anthropic__anthropic-text') };
}

let openAiFake: FakeProvider;
let anthropicFake: FakeProvider;
let backends: TestBackends;
let stack: Stack;
let client: OpenAI;
let otherClient: OpenAI;

beforeAll(async () => {
  openAiFake = await startFakeProvider(openAiResponder);
  anthropicFake = await startFakeProvider(anthropicResponder);
  backends = await createTestBackends('responses');
  const config = writeConfigFile({
    model_list: [
      { model_name: 'gpt', litellm_params: { model: 'openai/gpt-5', api_base: `${openAiFake.url}/v1`, api_key: 'sk-oai-test' } },
      // Another OpenAI deployment (another account, say): it does not know what the first one made.
      { model_name: 'gpt-other', litellm_params: { model: 'openai/gpt-5-mini', api_base: `${openAiFake.url}/v1`, api_key: 'sk-oai-other' } },
      { model_name: 'claude', litellm_params: { model: 'anthropic/claude-sonnet-4-5', api_base: anthropicFake.url, api_key: 'sk-ant-test' } },
    ],
    general_settings: { master_key: MASTER_KEY },
  });
  stack = await startStack({ ...backends.env, SLUICE_CONFIG: config });
  client = new OpenAI({ baseURL: `${stack.edgeUrl}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
  const generated = await fetch(`${stack.edgeUrl}/key/generate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ key_alias: 'other' }),
  });
  otherClient = new OpenAI({ baseURL: `${stack.edgeUrl}/v1`, apiKey: ((await generated.json()) as { key: string }).key, maxRetries: 0 });
});

afterAll(async () => {
  await stack?.stop();
  await openAiFake?.close();
  await anthropicFake?.close();
  await backends?.cleanup();
});

const requestIds: string[] = [];

const DEPLOYMENTS = [
  { model: 'gpt', kind: 'OpenAI (native)', fake: () => openAiFake, path: '/v1/responses', text: recordedText, streamed: recordedStreamText },
  { model: 'claude', kind: 'Anthropic (translated)', fake: () => anthropicFake, path: '/v1/messages', text: anthropicText, streamed: 'Hello there!' },
] as const;

const storedIn = (responseClient: OpenAI, id: string) =>
  responseClient.responses.retrieve(id).then(
    () => true,
    (error: unknown) => {
      if (error instanceof OpenAI.NotFoundError) return false;
      throw error;
    },
  );

describe.each(DEPLOYMENTS)('$kind deployment ($model)', ({ model, fake, path, text, streamed }) => {
  test('responses.create', async () => {
    const { data, response } = await client.responses.create({ model, input: 'What is (12 + 7) * 3 * 10?', instructions: 'Show your steps.' }).withResponse();
    requestIds.push(response.headers.get('x-request-id')!);
    expect(data.object).toBe('response');
    expect(data.status).toBe('completed');
    expect(data.output_text).toBe(text);
    expect(data.usage!.input_tokens).toBeGreaterThan(0);
    expect(data.usage!.output_tokens).toBeGreaterThan(0);
    const upstream = fake().requests.at(-1)!;
    expect(upstream.path).toBe(path);
    if (model === 'claude') expect(upstream.body).toMatchObject({ system: 'Show your steps.', messages: [{ role: 'user', content: [{ type: 'text', text: 'What is (12 + 7) * 3 * 10?' }] }] });
  });

  test('responses.stream', async () => {
    const stream = client.responses.stream({ model, input: 'What is (12 + 7) * 3 * 10?' });
    let deltas = '';
    const types = new Set<string>();
    stream.on('event', (event) => types.add(event.type));
    stream.on('response.output_text.delta', (event) => {
      deltas += event.delta;
    });
    const final = await stream.finalResponse();
    expect(deltas).toBe(streamed);
    expect(final.output_text).toBe(streamed);
    expect(final.status).toBe('completed');
    expect(final.usage!.output_tokens).toBeGreaterThan(0);
    for (const type of ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added', 'response.output_text.done', 'response.output_item.done', 'response.completed']) {
      expect(types).toContain(type);
    }
  });

  test('two turns with previous_response_id; GET and DELETE for the key that made it only', async () => {
    const first = await client.responses.create({ model, input: 'Hello?' });
    await waitFor(() => storedIn(client, first.id), { timeoutMs: 10_000 });
    const retrieved = await client.responses.retrieve(first.id);
    expect(retrieved.id).toBe(first.id);
    expect(retrieved.output_text).toBe(first.output_text);
    expect(await storedIn(otherClient, first.id)).toBe(false);

    const second = await client.responses.create({ model, input: 'And then?', previous_response_id: first.id });
    expect(second.output_text).toBe(text);
    const upstream = fake().requests.at(-1)!.body as Record<string, unknown>;
    if (model === 'gpt') {
      // OpenAI keeps its own conversations: the id goes through.
      expect(upstream.previous_response_id).toBe(first.id);
    } else {
      expect(upstream.messages).toEqual([
        { role: 'user', content: [{ type: 'text', text: 'Hello?' }] },
        { role: 'assistant', content: [{ type: 'text', text }] },
        { role: 'user', content: [{ type: 'text', text: 'And then?' }] },
      ]);
    }

    await expect(otherClient.responses.delete(first.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await client.responses.delete(first.id);
    expect(await storedIn(client, first.id)).toBe(false);
  });

  test('store: false keeps nothing', async () => {
    const answer = await client.responses.create({ model, input: 'Hello?', store: false });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await storedIn(client, answer.id)).toBe(false);
  });
});

describe('a conversation moving between a translated deployment and OpenAI ones', () => {
  const stored = (id: string) => waitFor(() => storedIn(client, id), { timeoutMs: 10_000 });

  test('made through the chat bridge, continued natively: the stored conversation goes as input items, not the id', async () => {
    const first = await client.responses.create({ model: 'claude', input: 'Hello?', instructions: 'Be brief.' });
    await stored(first.id);
    const second = await client.responses.create({ model: 'gpt', input: 'And then?', previous_response_id: first.id });
    expect(second.output_text).toBe(recordedText);
    const upstream = openAiFake.requests.at(-1)!.body as Record<string, unknown>;
    expect(upstream).not.toHaveProperty('previous_response_id');
    expect(upstream.model).toBe('gpt-5');
    expect(upstream.input).toEqual([
      { role: 'user', content: 'Hello?' },
      { role: 'assistant', content: anthropicText },
      { role: 'user', content: 'And then?' },
    ]);

    // The native answer is stored with the whole conversation: a third turn on the bridge sees all of it.
    await stored(second.id);
    await client.responses.create({ model: 'claude', input: 'Last one.', previous_response_id: second.id });
    const messages = (anthropicFake.requests.at(-1)!.body as { messages: Array<{ role: string; content: Array<{ type: string; text?: string }> }> }).messages;
    expect(messages[0]).toEqual({ role: 'user', content: [{ type: 'text', text: 'Hello?' }] });
    expect(messages[1]).toEqual({ role: 'assistant', content: [{ type: 'text', text: anthropicText }] });
    expect(messages.at(-1)).toEqual({ role: 'user', content: [{ type: 'text', text: 'Last one.' }] });
    expect(messages.some((message) => message.role === 'assistant' && message.content.some((block) => block.text === recordedText))).toBe(true);
  });

  test('made natively, continued through the chat bridge: the stored conversation becomes chat messages', async () => {
    const first = await client.responses.create({ model: 'gpt', input: 'Hello?' });
    await stored(first.id);
    const second = await client.responses.create({ model: 'claude', input: 'And then?', previous_response_id: first.id });
    expect(second.output_text).toBe(anthropicText);
    expect(second.id).not.toBe(first.id);
    const messages = (anthropicFake.requests.at(-1)!.body as { messages: Array<{ role: string; content: Array<{ type: string; text?: string }> }> }).messages;
    expect(messages[0]).toEqual({ role: 'user', content: [{ type: 'text', text: 'Hello?' }] });
    expect(messages.at(-1)).toEqual({ role: 'user', content: [{ type: 'text', text: 'And then?' }] });
    expect(messages.some((message) => message.role === 'assistant' && message.content.some((block) => block.text === recordedText))).toBe(true);
  });

  test('made natively on one OpenAI deployment, continued on another: input items; on the same one: the id', async () => {
    const first = await client.responses.create({ model: 'gpt', input: 'Hello?' });
    await stored(first.id);
    await client.responses.create({ model: 'gpt-other', input: 'And then?', previous_response_id: first.id, stream: true }).then(async (stream) => {
      for await (const _event of stream) {
        // drained
      }
    });
    const other = openAiFake.requests.at(-1)!;
    expect(other.headers.authorization).toBe('Bearer sk-oai-other');
    expect(other.body).not.toHaveProperty('previous_response_id');
    expect((other.body as { input: unknown[] }).input.at(-1)).toEqual({ role: 'user', content: 'And then?' });
    expect((other.body as { input: unknown[] }).input[0]).toEqual({ role: 'user', content: 'Hello?' });

    await client.responses.create({ model: 'gpt', input: 'And then?', previous_response_id: first.id });
    const same = openAiFake.requests.at(-1)!;
    expect(same.headers.authorization).toBe('Bearer sk-oai-test');
    expect(same.body).toMatchObject({ previous_response_id: first.id, input: 'And then?' });
  });

  test('an id the key does not own goes to OpenAI unchanged (it may be one OpenAI made for the client directly)', async () => {
    await client.responses.create({ model: 'gpt', input: 'Hi', previous_response_id: 'resp_made_at_openai' });
    expect(openAiFake.requests.at(-1)!.body).toMatchObject({ previous_response_id: 'resp_made_at_openai', input: 'Hi' });
  });
});

describe('errors in OpenAI\'s shape', () => {
  const post = (body: unknown) =>
    fetch(`${stack.edgeUrl}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  test.each([
    ['no model', { input: 'hi' }, 400, 'model'],
    ['input of the wrong type', { model: 'claude', input: 42 }, 400, 'input'],
    ['broken JSON', '{"model":', 400, null],
    ['an unknown previous_response_id (translated)', { model: 'claude', input: 'hi', previous_response_id: 'resp_nope' }, 400, 'previous_response_id'],
    ['a built-in tool on a translated deployment', { model: 'claude', input: 'hi', tools: [{ type: 'web_search' }] }, 400, 'tools'],
    ['an unknown model', { model: 'nope', input: 'hi' }, 404, null],
  ])('%s', async (_name, body, status, param) => {
    const response = await post(body);
    expect(response.status).toBe(status);
    const error = (await response.json()) as { error: { message: string; type: string; param: string | null; code: string } };
    expect(Object.keys(error)).toEqual(['error']);
    expect(error.error.message).not.toBe('');
    if (param) expect(error.error.param).toBe(param);
  });

  test('GET of an unknown id is a 404', async () => {
    await expect(client.responses.retrieve('resp_unknown')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('a stream failing after HTTP 200 ends with the Responses error event', () => {
  const streamed = async (model: string) => {
    const response = await fetch(`${stack.edgeUrl}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, input: 'hi', stream: true }),
    });
    expect(response.status).toBe(200);
    return response.text();
  };
  const ERROR_EVENT = /event: error\ndata: (\{[^\n]+\})\n\n$/;

  test('from OpenAI (native): its error event after content', async () => {
    const head = recordedStream.slice(0, 5).map((line) => `event: ${(JSON.parse(line) as { type: string }).type}\ndata: ${line}\n\n`);
    openAiFake.respondWith(() => ({ pieces: [...head, 'event: error\ndata: {"type":"error","code":"server_error","message":"The server had an error","param":null,"sequence_number":5}\n\n'] }));
    try {
      const text = await streamed('gpt');
      expect(text.startsWith('event: response.created\n')).toBe(true);
      const error = JSON.parse(ERROR_EVENT.exec(text)![1]!) as Record<string, unknown>;
      expect(error).toMatchObject({ type: 'error', param: null });
      expect(typeof error.code).toBe('string');
      expect(typeof error.message).toBe('string');
      expect(text).not.toContain('event: response.completed');
      // OpenAI's SDK raises it.
      await expect(client.responses.stream({ model: 'gpt', input: 'hi' }).finalResponse()).rejects.toThrow();
    } finally {
      openAiFake.respondWith(openAiResponder);
    }
  });

  test('from a translated deployment: an Anthropic error event after content becomes the Responses one', async () => {
    const head = loadTextFixture('anthropic', 'lib__fixtures__basic_response.txt').split('event: message_delta')[0]!;
    anthropicFake.respondWith(() => ({ pieces: [head, 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'] }));
    try {
      const text = await streamed('claude');
      expect(text.startsWith('event: response.created\n')).toBe(true);
      expect(text).toContain('event: response.output_text.delta');
      expect(JSON.parse(ERROR_EVENT.exec(text)![1]!)).toMatchObject({ type: 'error', param: null });
      expect(text).not.toContain('event: response.completed');
    } finally {
      anthropicFake.respondWith(anthropicResponder);
    }
  });
});

test('every request has its ledger row, call type responses', async () => {
  await waitFor(async () => {
    const result = await backends.sql.query<{ count: number }>('SELECT count(*)::int AS count FROM spend_logs WHERE request_id = ANY($1)', [requestIds]);
    return result.rows[0]!.count === requestIds.length;
  }, { timeoutMs: 20_000 });
  const rows = await backends.sql.query<{ provider: string; call_type: string; status: string; prompt_tokens: number }>(
    'SELECT provider, call_type, status, prompt_tokens FROM spend_logs WHERE request_id = ANY($1)',
    [requestIds],
  );
  expect(rows.rows.map((row) => row.provider).sort()).toEqual(['anthropic', 'openai']);
  for (const row of rows.rows) expect(row).toMatchObject({ call_type: 'responses', status: 'success' });
});
