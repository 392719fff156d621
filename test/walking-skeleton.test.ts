// The whole path once: the official openai client → edge → policy → router → a fake provider replaying
// recorded OpenAI traffic, and the usage of every request into Postgres through JetStream. Twice: with
// the four services apart, and with the edge and the router in one process (completions in process).
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createTestBackends,
  type FakeProvider,
  loadJsonFixture,
  loadStreamPayloads,
  replayOpenAiFixture,
  type Stack,
  type StackShape,
  startFakeProvider,
  startStack,
  type TestBackends,
  writeConfigFile,
} from '@sluice/testing';
import { waitFor } from './helpers/wait-for.js';

const FIXTURE = 'openai__chat__openai-text';
const MASTER_KEY = 'sk-skeleton-master';
const UPSTREAM_KEY = 'sk-upstream-secret-do-not-leak';

interface ChatFixture {
  choices: Array<{ message: { content: string } }>;
  usage: { prompt_tokens: number; completion_tokens: number };
}

const recorded = loadJsonFixture<ChatFixture>('vercel-ai', FIXTURE);
const recordedStream = loadStreamPayloads('vercel-ai', FIXTURE).map((line) => JSON.parse(line) as {
  choices: Array<{ delta: { content?: string } }>;
  usage: { prompt_tokens: number; completion_tokens: number } | null;
});
const streamedText = recordedStream.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
const streamUsage = recordedStream.at(-1)!.usage!;

const SHAPES: StackShape[] = ['four-services', 'edge-with-router'];

describe.each(SHAPES)('%s', (shape) => {
  let fake: FakeProvider;
  let backends: TestBackends;
  let stack: Stack;
  let client: OpenAI;

  beforeAll(async () => {
    fake = await startFakeProvider(replayOpenAiFixture(FIXTURE));
    backends = await createTestBackends('skeleton');
    const config = writeConfigFile({
      model_list: [
        { model_name: 'gpt-test', litellm_params: { model: 'openai/gpt-4.1-nano', api_base: `${fake.url}/v1`, api_key: UPSTREAM_KEY } },
        { model_name: 'other-model', litellm_params: { model: 'openai/gpt-4o-mini', api_base: `${fake.url}/v1`, api_key: UPSTREAM_KEY } },
      ],
      general_settings: { master_key: MASTER_KEY, max_request_size_mb: 1 },
    });
    stack = await startStack({ ...backends.env, SLUICE_CONFIG: config }, [], shape);
    client = new OpenAI({ baseURL: `${stack.edgeUrl}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
  });

  afterAll(async () => {
    await stack?.stop();
    await fake?.close();
    await backends?.cleanup();
  });

  async function countRows(requestIds: string[]): Promise<number> {
    const result = await backends.sql.query<{ count: number }>('SELECT count(*)::int AS count FROM spend_logs WHERE request_id = ANY($1)', [requestIds]);
    return result.rows[0]!.count;
  }

  describe('chat completions through the whole stack', () => {
    test('non-streaming returns exactly what the provider sent', async () => {
      const response = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'Invent a holiday' }] });
      expect(response.choices[0]!.message.content).toBe(recorded.choices[0]!.message.content);
      expect(response.usage?.prompt_tokens).toBe(recorded.usage.prompt_tokens);
      expect(response.usage?.completion_tokens).toBe(recorded.usage.completion_tokens);
      // The provider got our deployment's model name and key, never the client's.
      const upstream = fake.requests.at(-1)!;
      expect(upstream.path).toBe('/v1/chat/completions');
      expect((upstream.body as { model: string }).model).toBe('gpt-4.1-nano');
      expect(upstream.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    });

    test('streaming with include_usage reassembles to the recording and ends with a usage chunk', async () => {
      const stream = await client.chat.completions.create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'Invent a holiday' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let usage: OpenAI.CompletionUsage | undefined;
      let chunks = 0;
      for await (const chunk of stream) {
        chunks += 1;
        text += chunk.choices[0]?.delta.content ?? '';
        if (chunk.usage) usage = chunk.usage;
      }
      expect(text).toBe(streamedText);
      expect(chunks).toBe(recordedStream.length);
      expect(usage?.prompt_tokens).toBe(streamUsage.prompt_tokens);
      expect(usage?.completion_tokens).toBe(streamUsage.completion_tokens);
      // Usage is always asked for upstream, so spend is exact even when the client does not ask.
      expect((fake.requests.at(-1)!.body as { stream_options: unknown }).stream_options).toEqual({ include_usage: true });
    });

    test('streaming without include_usage hides the usage chunk the gateway asked for', async () => {
      const response = await fetch(`${stack.edgeUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(response.headers.get('x-sluice-overhead-ms')).toMatch(/^\d+\.\d{3}$/);
      const events = (await response.text()).split('\n\n').filter(Boolean);
      expect(events.at(-1)).toBe('data: [DONE]');
      const payloads = events.slice(0, -1).map((event) => JSON.parse(event.slice('data: '.length)) as { usage?: unknown; choices: unknown[] });
      expect(payloads).toHaveLength(recordedStream.length - 1);
      expect(payloads.every((payload) => payload.choices.length > 0)).toBe(true);
    });

    test('models.list returns the configured model names', async () => {
      const models = [];
      for await (const model of client.models.list()) models.push(model.id);
      expect(models.sort()).toEqual(['gpt-test', 'other-model']);
    });
  });

  describe('errors are OpenAI-shaped with the right status', () => {
    test('a bad key is an AuthenticationError', async () => {
      const bad = new OpenAI({ baseURL: `${stack.edgeUrl}/v1`, apiKey: 'sk-not-a-key', maxRetries: 0 });
      await expect(bad.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(
        OpenAI.AuthenticationError,
      );
    });

    test('no key at all is 401 missing_api_key', async () => {
      const response = await fetch(`${stack.edgeUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] }),
      });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('missing_api_key');
    });

    test('an unknown model is a NotFoundError', async () => {
      const error = await client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OpenAI.NotFoundError);
      expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    });

    test('malformed JSON is 400 invalid_json', async () => {
      const response = await fetch(`${stack.edgeUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
        body: '{"model": "gpt-test", "messages": [',
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { code: string; type: string; message: string; param: unknown } };
      expect(body.error).toEqual({ code: 'invalid_json', type: 'invalid_request_error', message: expect.any(String), param: null });
      expect(response.headers.get('x-request-id')).toBeTruthy();
      expect(response.headers.get('x-sluice-overhead-ms')).toBeTruthy();
    });

    test('a body that fails the schema is a BadRequestError naming the parameter', async () => {
      const error = await client.chat.completions
        .create({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }], temperature: 'hot' as unknown as number })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('temperature');
      const missing = await fetch(`${stack.edgeUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}` },
        body: JSON.stringify({ model: 'gpt-test' }),
      });
      expect(missing.status).toBe(400);
      expect(((await missing.json()) as { error: { param: string } }).error.param).toBe('messages');
    });

    test('a client cannot choose where the router connects', async () => {
      const response = await fetch(`${stack.edgeUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}` },
        body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }], api_base: 'http://169.254.169.254/' }),
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { param: string } }).error.param).toBe('api_base');
    });

    test('a body over the limit is 413', async () => {
      const response = await fetch(`${stack.edgeUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'x'.repeat(2 * 1024 * 1024) }] }),
      });
      expect(response.status).toBe(413);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('body_too_large');
    });

    test('provider failures become 502 without the provider key in the answer', async () => {
      fake.respondWith(() => ({ status: 500, json: { error: { message: `boom with ${UPSTREAM_KEY}` } } }));
      try {
        const response = await fetch(`${stack.edgeUrl}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${MASTER_KEY}` },
          body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] }),
        });
        expect(response.status).toBe(502);
        const text = await response.text();
        expect(text).not.toContain(UPSTREAM_KEY);
        expect((JSON.parse(text) as { error: { code: string } }).error.code).toBe('upstream_error');
      } finally {
        fake.respondWith(replayOpenAiFixture(FIXTURE));
      }
    });

    test('unknown routes are 404 in the same shape', async () => {
      const response = await fetch(`${stack.edgeUrl}/v1/nothing-here`);
      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found');
    });
  });

  describe('health', () => {
    test('liveliness and readiness answer', async () => {
      expect((await fetch(`${stack.edgeUrl}/health/liveliness`)).status).toBe(200);
      expect((await fetch(`${stack.edgeUrl}/health/readiness`)).status).toBe(200);
    });
  });

  describe('usage ledger', () => {
    test('after N requests there are exactly N rows, with the tokens the provider reported', async () => {
      const ids: string[] = [];
      for (let index = 0; index < 12; index += 1) {
        const stream = index % 2 === 0;
        const response = await fetch(`${stack.edgeUrl}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${MASTER_KEY}` },
          body: JSON.stringify({ model: 'gpt-test', stream, messages: [{ role: 'user', content: `n${index}` }] }),
        });
        expect(response.status).toBe(200);
        await response.text();
        ids.push(response.headers.get('x-request-id')!);
      }
      await waitFor(async () => (await countRows(ids)) === ids.length, { timeoutMs: 20_000 });
      const rows = await backends.sql.query<{ request_id: string; stream: boolean; prompt_tokens: number; completion_tokens: number; cost_micros: number; status: string; model_group: string; provider: string; key_hash: string }>(
        'SELECT request_id, stream, prompt_tokens, completion_tokens, cost_micros, status, model_group, provider, key_hash FROM spend_logs WHERE request_id = ANY($1)',
        [ids],
      );
      expect(rows.rows).toHaveLength(ids.length);
      for (const row of rows.rows) {
        expect(row.status).toBe('success');
        expect(row.model_group).toBe('gpt-test');
        expect(row.provider).toBe('openai');
        // The master key is recorded under a fixed label, never its (guessable) hash.
        expect(row.key_hash).toBe('master-key');
        expect(row.prompt_tokens).toBe(row.stream ? streamUsage.prompt_tokens : recorded.usage.prompt_tokens);
        expect(row.completion_tokens).toBe(row.stream ? streamUsage.completion_tokens : recorded.usage.completion_tokens);
        expect(row.cost_micros).toBeGreaterThan(0);
      }
    });
  });
});
