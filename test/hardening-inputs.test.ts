// The small findings of the hardening review, each reproduced against a real stack: deep JSON, invalid
// UTF-8, prototype names as models, absurd token counts, the response cache across teams, Node's own
// errors, the master key in the ledger, and provider messages that quote our credentials.
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createTestBackends,
  type FakeProvider,
  type FakeResponse,
  type RecordedRequest,
  replayOpenAiFixture,
  type Stack,
  startFakeProvider,
  startStack,
  type TestBackends,
  writeConfigFile,
} from '@sluice/testing';
import { request, type Reply } from './helpers/policy-stack.js';
import { waitFor } from './helpers/wait-for.js';

const MASTER_KEY = 'sk-hardening-master';
const UPSTREAM_KEY = 'sk-upstream-secret-key-7b1f2c';
/** gpt-test's price, micro-USD per token. */
const PRICE = { input: 1, output: 2 };
const HUGE = 4_294_967_295;

let fake: FakeProvider;
let backends: TestBackends;
let stack: Stack;
let edge: string;

const replay = replayOpenAiFixture('openai__chat__openai-text');
const completion = (usage: Record<string, number>): FakeResponse => ({
  json: {
    id: 'chatcmpl-huge',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4.1-nano',
    choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
    usage,
  },
});

/** Special answers picked by the prompt; anything else replays the recording. */
function respond(recorded: RecordedRequest, index: number): FakeResponse | Promise<FakeResponse> {
  const body = recorded.body as { messages?: Array<{ content?: unknown }> } | undefined;
  const prompt = typeof body?.messages?.[0]?.content === 'string' ? body.messages[0].content : '';
  if (prompt === 'huge usage') return completion({ prompt_tokens: HUGE, completion_tokens: 7, total_tokens: HUGE + 7 });
  if (prompt === 'beyond uint32') return completion({ prompt_tokens: 1e12, completion_tokens: 3, total_tokens: 1e12 + 3 });
  if (prompt === 'echo my headers') {
    return {
      status: 400,
      json: {
        error: {
          message: `Invalid request headers: Authorization: ${String(recorded.headers.authorization)}; please check your key ${UPSTREAM_KEY}`,
          type: 'invalid_request_error',
          code: 'invalid_header',
        },
      },
    };
  }
  return replay(recorded, index);
}

beforeAll(async () => {
  fake = await startFakeProvider(respond);
  backends = await createTestBackends('hardening');
  const params = {
    api_base: `${fake.url}/v1`,
    api_key: UPSTREAM_KEY,
    input_cost_per_token: PRICE.input / 1_000_000,
    output_cost_per_token: PRICE.output / 1_000_000,
  };
  const config = writeConfigFile({
    model_list: [
      { model_name: 'gpt-test', litellm_params: { model: 'openai/gpt-4.1-nano', ...params } },
      // A model group whose name is an Object.prototype member.
      { model_name: 'constructor', litellm_params: { model: 'openai/gpt-4.1-nano', ...params } },
    ],
    // No namespace_per_team: the default must keep teams apart.
    litellm_settings: { cache: true, cache_params: { type: 'local', ttl: 600 } },
    general_settings: { master_key: MASTER_KEY },
  });
  stack = await startStack({ ...backends.env, SLUICE_CONFIG: config });
  edge = stack.edgeUrl;
});

afterAll(async () => {
  await stack?.stop();
  await fake?.close();
  await backends?.cleanup();
});

const post = (path: string, body: unknown, key = MASTER_KEY) =>
  request(`${edge}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
const get = (path: string, key = MASTER_KEY) => request(`${edge}${path}`, { headers: { authorization: `Bearer ${key}` } });
const chat = (key: string, body: Record<string, unknown>) =>
  post('/v1/chat/completions', { model: 'gpt-test', messages: [{ role: 'user', content: 'Invent a holiday' }], ...body }, key);

function expectOpenAiError(reply: { status: number; body: unknown }, status: number, code: string): void {
  expect(reply.status).toBe(status);
  const body = reply.body as { error: Record<string, unknown> };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(body.error).toMatchObject({ message: expect.any(String), type: expect.any(String), code });
  expect(body.error.param === null || typeof body.error.param === 'string').toBe(true);
}

async function ledgerRow(requestId: string) {
  let row: Record<string, unknown> | undefined;
  await waitFor(async () => {
    row = (await backends.sql.query<Record<string, unknown>>('SELECT * FROM spend_logs WHERE request_id = $1', [requestId])).rows[0];
    return row !== undefined;
  }, { timeoutMs: 20_000, message: `no ledger row for ${requestId}` });
  return row!;
}

const deep = (depth: number): unknown => {
  let value: unknown = {};
  for (let level = 0; level < depth; level += 1) value = { a: value };
  return value;
};

describe('deep JSON is a 400, not a 500', () => {
  test('/key/generate with 10,000-deep metadata', async () => {
    const reply = await post('/key/generate', `{"metadata":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`);
    expectOpenAiError(reply, 400, 'invalid_request');
    expect(reply.body.error.message).toContain('64 levels');
  });

  test('a chat body with deep metadata never reaches the provider; moderately nested metadata still works', async () => {
    const before = fake.requests.length;
    const reply = await post(
      '/v1/chat/completions',
      `{"model":"gpt-test","messages":[{"role":"user","content":"hi"}],"metadata":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`,
    );
    expectOpenAiError(reply, 400, 'invalid_request');
    expect(fake.requests.length).toBe(before);
    expect((await chat(MASTER_KEY, { metadata: deep(40) })).status).toBe(200);
  });
});

describe('invalid UTF-8 is refused at the edge', () => {
  test('a body with a stray 0xff byte is a 400 and reaches no provider', async () => {
    const before = fake.requests.length;
    const text = JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'caf\u00e9 XX' }] });
    const bytes = Buffer.from(text, 'utf8');
    const at = bytes.indexOf('XX');
    bytes[at] = 0xff;
    bytes[at + 1] = 0xfe;
    const reply = await post('/v1/chat/completions', bytes);
    expectOpenAiError(reply, 400, 'invalid_json');
    expect(reply.body.error.message).toContain('UTF-8');
    expect(fake.requests.length).toBe(before);
    // Valid multi-byte UTF-8 is fine.
    expect((await post('/v1/chat/completions', Buffer.from(text, 'utf8'))).status).toBe(200);
  });
});

describe('prototype names are plain names', () => {
  test("a model group named 'constructor' is routed and recorded as itself; toString and __proto__ are unknown models", async () => {
    const key = (await post('/key/generate', {})).body.key as string;
    const ok = await chat(key, { model: 'constructor' });
    expect(ok.status).toBe(200);
    const row = await ledgerRow(ok.headers.get('x-request-id')!);
    expect(row.model_group).toBe('constructor');
    for (const model of ['toString', '__proto__', 'hasOwnProperty']) {
      expectOpenAiError(await chat(key, { model }), 404, 'model_not_found');
    }
  });

  test('aliases and per-model budgets named after prototype members do not leak into lookups', async () => {
    // As raw JSON: in an object literal "__proto__" would set the prototype instead of a key.
    const generated = await post(
      '/key/generate',
      '{"aliases":{"valueOf":"gpt-test"},"model_max_budget":{"constructor":{"budget_limit":5},"__proto__":{"budget_limit":1}}}',
    );
    expect(generated.status).toBe(200);
    const key = generated.body.key as string;
    const aliased = await chat(key, { model: 'valueOf' });
    expect(aliased.status).toBe(200);
    expect((await ledgerRow(aliased.headers.get('x-request-id')!)).model_group).toBe('gpt-test');
    expect((await chat(key, { model: 'constructor' })).status).toBe(200);
    const info = await get(`/key/info?key=${key}`);
    expect(info.status).toBe(200);
    expect(Object.keys(info.body.info.model_max_budget).sort()).toEqual(['__proto__', 'constructor']);
  });

  test('/global/spend/report?group_by=constructor is a 400', async () => {
    expectOpenAiError(await get('/global/spend/report?group_by=constructor'), 400, 'invalid_request');
  });
});

describe('absurd token counts are billed, never lost', () => {
  test('a provider reporting 4,294,967,295 prompt tokens: the ledger row and the spend are there', async () => {
    const key = (await post('/key/generate', { max_budget: 100_000 })).body as { key: string; token: string };
    const reply = await chat(key.key, { messages: [{ role: 'user', content: 'huge usage' }] });
    expect(reply.status).toBe(200);
    expect(reply.body.usage.prompt_tokens).toBe(HUGE);
    const row = await ledgerRow(reply.headers.get('x-request-id')!);
    const cost = HUGE * PRICE.input + 7 * PRICE.output;
    expect(row).toMatchObject({ prompt_tokens: HUGE, completion_tokens: 7, total_tokens: HUGE + 7, cost_micros: cost, status: 'success' });
    expect(Number((await backends.sql.query<{ count: number }>('SELECT count(*)::int AS count FROM usage_dead_letters')).rows[0]!.count)).toBe(0);
    await waitFor(async () => (await get(`/key/info?key=${key.key}`)).body.info.spend_micros === cost, { timeoutMs: 20_000, message: 'spend not settled' });
    const daily = await backends.sql.query<{ prompt_tokens: number; spend_micros: number }>(
      'SELECT sum(prompt_tokens)::bigint AS prompt_tokens, sum(spend_micros)::bigint AS spend_micros FROM spend_daily WHERE key_hash = $1',
      [key.token],
    );
    expect(daily.rows[0]).toEqual({ prompt_tokens: HUGE, spend_micros: cost });
  });

  test('a count beyond what the messages carry is bounded, and its full cost still billed', async () => {
    const reply = await chat(MASTER_KEY, { messages: [{ role: 'user', content: 'beyond uint32' }] });
    expect(reply.status).toBe(200);
    const row = await ledgerRow(reply.headers.get('x-request-id')!);
    expect(row).toMatchObject({ prompt_tokens: HUGE, completion_tokens: 3, cost_micros: 1e12 * PRICE.input + 3 * PRICE.output });
  });
});

describe('the response cache is per team by default', () => {
  test("team B is not served team A's answer; a key of team A is", async () => {
    const teamA = (await post('/team/new', {})).body.team_id as string;
    const teamB = (await post('/team/new', {})).body.team_id as string;
    const keyA1 = (await post('/key/generate', { team_id: teamA })).body.key as string;
    const keyA2 = (await post('/key/generate', { team_id: teamA })).body.key as string;
    const keyB = (await post('/key/generate', { team_id: teamB })).body.key as string;
    const body = { messages: [{ role: 'user', content: 'a question for the cache' }] };
    const first = await chat(keyA1, body);
    expect(first.headers.get('x-sluice-cache')).toBe('miss');
    expect(first.headers.get('x-sluice-cache-key')).toMatch(new RegExp(`^team/${teamA}:`));
    await waitFor(async () => (await chat(keyA2, body)).headers.get('x-sluice-cache') === 'hit', { message: 'team A never hit its own entry' });
    const other = await chat(keyB, body);
    expect(other.status).toBe(200);
    expect(other.headers.get('x-sluice-cache')).toBe('miss');
    expect(other.headers.get('x-sluice-cache-key')).toMatch(new RegExp(`^team/${teamB}:`));
  });
});

/** Writes raw bytes to the edge and reads the whole answer (the server closes the connection). */
function rawExchange(bytes: string): Promise<{ status: number; body: unknown }> {
  const url = new URL(edge);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(bytes));
    let text = '';
    socket.setEncoding('utf8').on('data', (part: string) => (text += part));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body: JSON.parse(body) });
    });
  });
}

describe("Node's and Fastify's own errors are OpenAI-shaped", () => {
  test('a 20 kB header is a 431 with an OpenAI body', async () => {
    const url = new URL(`${edge}/v1/models`);
    const reply = await new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const outgoing = httpRequest(
        { host: url.hostname, port: url.port, path: url.pathname, headers: { authorization: `Bearer ${MASTER_KEY}`, 'x-padding': 'x'.repeat(20_000) } },
        (response) => {
          let text = '';
          response.setEncoding('utf8').on('data', (part: string) => (text += part));
          response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) }));
        },
      );
      outgoing.on('error', reject);
      outgoing.end();
    });
    expectOpenAiError(reply, 431, 'headers_too_large');
  });

  test('bytes that are not HTTP get a 400 with an OpenAI body', async () => {
    expectOpenAiError(await rawExchange('NOT HTTP AT ALL\r\n\r\n'), 400, 'invalid_request');
  });

  test('unknown routes and methods, and odd content types, are OpenAI-shaped', async () => {
    expectOpenAiError(await get('/v1/nothing-here'), 404, 'not_found');
    expectOpenAiError(await request(`${edge}/v1/chat/completions`, { method: 'DELETE', headers: { authorization: `Bearer ${MASTER_KEY}` } }), 404, 'not_found');
    const odd = await request(`${edge}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'multipart/form-data; boundary=x' },
      body: '--x\r\n\r\nhello\r\n--x--',
    });
    expectOpenAiError(odd, 400, 'invalid_json');
    expectOpenAiError(await post('/v1/chat/completions', ''), 400, 'invalid_json');
    // A path parameter that cannot be percent-decoded: Fastify's frameworkErrors.
    expectOpenAiError(await post('/key/%E0%A4%A/regenerate', {}), 400, 'invalid_request');
  });
});

describe('the master key is recorded under a label', () => {
  test('ledger rows and /spend/logs name it master-key, never its SHA-256', async () => {
    const reply = await chat(MASTER_KEY, {});
    expect(reply.status).toBe(200);
    const requestId = reply.headers.get('x-request-id')!;
    const row = await ledgerRow(requestId);
    expect(row.key_hash).toBe('master-key');
    const plainHash = createHash('sha256').update(MASTER_KEY).digest('hex');
    const leaked = await backends.sql.query('SELECT 1 FROM spend_logs WHERE key_hash = $1 OR metadata::text LIKE $2', [plainHash, `%${plainHash}%`]);
    expect(leaked.rows).toHaveLength(0);
    const logs = await get(`/spend/logs?request_id=${requestId}`);
    expect(logs.status).toBe(200);
    expect(JSON.stringify(logs.body)).not.toContain(plainHash);
    expect(logs.body[0]).toMatchObject({ request_id: requestId, api_key: 'master-key' });
    // A filter by the master key itself finds its rows.
    const byKey = await get(`/spend/logs?api_key=${MASTER_KEY}&summarize=false`);
    expect(byKey.body.some((entry: { request_id: string }) => entry.request_id === requestId)).toBe(true);
  });
});

describe("provider messages never carry the deployment's credentials", () => {
  test('a 400 that echoes the Authorization header reaches the client without the key', async () => {
    for (const stream of [false, true]) {
      const reply: Reply = await chat(MASTER_KEY, { stream, messages: [{ role: 'user', content: 'echo my headers' }] });
      expectOpenAiError(reply, 400, 'upstream_bad_request');
      expect(JSON.stringify(reply.body)).not.toContain(UPSTREAM_KEY);
      expect(reply.body.error.message).toContain('Invalid request headers: Authorization: [redacted]');
    }
  });
});
