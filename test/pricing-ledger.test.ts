// What requests cost, end to end: the official client → edge → policy → router → fake OpenAI and
// Anthropic servers replaying recordings; the ledger row of each recorded answer must hold its tokens
// times the provider's published price (worked out here by hand), with the price it used; the response
// says the same in x-litellm-response-cost; many cheap requests add up in the ledger, the aggregates and
// the live budget counter to exactly tokens x price; an unpriced model is refused to a budgeted key;
// model_info prices win over the table; a cache write is priced at the write price.
import { loadJsonFixture, replayOpenAiFixture, startFakeProvider, type FakeProvider, type Stack, startStack, type TestBackends, createTestBackends, writeConfigFile } from '@sluice/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { holdsLeft, request } from './helpers/policy-stack.js';
import { waitFor } from './helpers/wait-for.js';

const MASTER_KEY = 'sk-pricing-master';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** USD per million tokens x tokens, in nano-USD. */
const nanos = (perMillion: number, tokens: number) => Math.round(perMillion * 1000) * tokens;

const chat = loadJsonFixture<Json>('vercel-ai', 'openai__chat__openai-text');
const embedding = loadJsonFixture<Json>('vercel-ai', 'openai__embedding__openai-embedding');
const claude = loadJsonFixture<Json>('vercel-ai', 'anthropic__anthropic-text');
const claudeCacheWrite = { ...claude, usage: { ...claude.usage, input_tokens: 7, cache_creation_input_tokens: 2048, cache_read_input_tokens: 0 } };

// Published prices (USD per million tokens): GPT-4.1 nano $0.10 / $0.40, text-embedding-3-small $0.02,
// Claude Sonnet 4.5 $3 input, $3.75 cache write (5 minutes), $15 output.
const EXPECTED: Record<string, number> = {
  nano: nanos(0.1, chat.usage.prompt_tokens) + nanos(0.4, chat.usage.completion_tokens),
  embed: nanos(0.02, embedding.usage.prompt_tokens),
  claude: nanos(3, claude.usage.input_tokens) + nanos(15, claude.usage.output_tokens),
  'claude-cache': nanos(3, 7) + nanos(3.75, 2048) + nanos(15, claude.usage.output_tokens),
  // model_info: $1 / $2 per million, over the table's price.
  'nano-override': nanos(1, chat.usage.prompt_tokens) + nanos(2, chat.usage.completion_tokens),
};

let openai: FakeProvider;
let anthropic: FakeProvider;
let backends: TestBackends;
let stack: Stack;

beforeAll(async () => {
  const chatReplay = replayOpenAiFixture('openai__chat__openai-text');
  openai = await startFakeProvider((recorded, index) => (recorded.path.endsWith('/embeddings') ? { json: embedding } : chatReplay(recorded, index)));
  anthropic = await startFakeProvider((recorded) => ({ json: (recorded.body as Json).system === 'cache me' ? claudeCacheWrite : claude }));
  backends = await createTestBackends('pricing');
  const openaiBase = `${openai.url}/v1`;
  const config = writeConfigFile({
    model_list: [
      { model_name: 'nano', litellm_params: { model: 'openai/gpt-4.1-nano', api_base: openaiBase, api_key: 'sk-up' } },
      { model_name: 'embed', litellm_params: { model: 'openai/text-embedding-3-small', api_base: openaiBase, api_key: 'sk-up' }, model_info: { mode: 'embedding' } },
      { model_name: 'claude', litellm_params: { model: 'anthropic/claude-sonnet-4-5', api_base: `${anthropic.url}/v1`, api_key: 'sk-ant' } },
      { model_name: 'claude-cache', litellm_params: { model: 'anthropic/claude-sonnet-4-5', api_base: `${anthropic.url}/v1`, api_key: 'sk-ant' } },
      {
        model_name: 'nano-override',
        litellm_params: { model: 'openai/gpt-4.1-nano', api_base: openaiBase, api_key: 'sk-up' },
        model_info: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 },
      },
      { model_name: 'local', litellm_params: { model: 'hosted_vllm/my-llama', api_base: openaiBase } },
    ],
    general_settings: { master_key: MASTER_KEY },
  });
  stack = await startStack({ ...backends.env, SLUICE_CONFIG: config });
});

afterAll(async () => {
  await stack?.stop();
  await openai?.close();
  await anthropic?.close();
  await backends?.cleanup();
});

const post = (path: string, body: unknown, key = MASTER_KEY) =>
  request(`${stack.edgeUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

function callModel(key: string, model: string, extra: Json = {}) {
  if (model === 'embed') return post('/v1/embeddings', { model, input: 'hello world' }, key);
  return post('/v1/chat/completions', { model, max_tokens: 400, messages: [{ role: 'user', content: 'Invent a holiday' }], ...(model === 'claude-cache' ? { messages: [{ role: 'system', content: 'cache me' }, { role: 'user', content: 'hi' }] } : {}), ...extra }, key);
}

async function ledgerRows(ids: string[]): Promise<Map<string, { cost_nanos: number; cost_micros: number; price_source: string; cache_write_5m_tokens: number }>> {
  let rows: Array<{ request_id: string; cost_nanos: number; cost_micros: number; price_source: string; cache_write_5m_tokens: number }> = [];
  await waitFor(async () => {
    rows = (await backends.sql.query<(typeof rows)[number]>('SELECT request_id, cost_nanos, cost_micros, price_source, cache_write_5m_tokens FROM spend_logs WHERE request_id = ANY($1)', [ids])).rows;
    return rows.length === ids.length;
  }, { timeoutMs: 30_000, message: 'ledger rows did not arrive' });
  return new Map(rows.map((row) => [row.request_id, { ...row, cost_nanos: Number(row.cost_nanos), cost_micros: Number(row.cost_micros) }]));
}

test('each recorded answer is booked at tokens x published price, with its price source, and says so in x-litellm-response-cost', async () => {
  const key = (await post('/key/generate', { max_budget: 10 })).body;
  const ids = new Map<string, string>();
  for (const model of Object.keys(EXPECTED)) {
    const reply = await callModel(key.key, model);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(Number(reply.headers.get('x-litellm-response-cost'))).toBe(EXPECTED[model]! / 1e9);
    ids.set(model, reply.headers.get('x-request-id')!);
  }
  const streamed = await callModel(key.key, 'nano', { stream: true, stream_options: { include_usage: true } });
  expect(streamed.status).toBe(200);
  // A stream's headers leave before its cost is known: no cost header (as LiteLLM), the ledger has it.
  expect(streamed.headers.get('x-litellm-response-cost')).toBeNull();
  const rows = await ledgerRows([...ids.values(), streamed.headers.get('x-request-id')!]);
  for (const [model, id] of ids) {
    const row = rows.get(id)!;
    expect({ model, cost: row.cost_nanos }).toEqual({ model, cost: EXPECTED[model] });
    expect(row.price_source).toBe(model === 'nano-override' ? 'genai-prices@0.1.8+model_info' : 'genai-prices@0.1.8');
  }
  expect(rows.get(ids.get('claude-cache')!)!.cache_write_5m_tokens).toBe(2048);
  // The cache write cost more than the same tokens as plain input would have.
  expect(EXPECTED['claude-cache']!).toBeGreaterThan(nanos(3, 2055) + nanos(15, claude.usage.output_tokens));
  const stream = rows.get(streamed.headers.get('x-request-id')!)!;
  expect(stream.cost_nanos).toBeGreaterThan(0);
  expect(stream.price_source).toBe('genai-prices@0.1.8');
});

test('many cheap requests: ledger, aggregates and the live budget counter all equal tokens x price, with no drift', async () => {
  const key = (await post('/key/generate', { max_budget: 5 })).body;
  const count = 120;
  const ids: string[] = [];
  for (let start = 0; start < count; start += 8) {
    const replies = await Promise.all(Array.from({ length: Math.min(8, count - start) }, () => callModel(key.key, 'nano')));
    for (const reply of replies) {
      expect(reply.status).toBe(200);
      ids.push(reply.headers.get('x-request-id')!);
    }
  }
  await ledgerRows(ids);
  await waitFor(async () => (await holdsLeft(backends)) === 0, { timeoutMs: 30_000, message: 'holds did not settle' });
  const expected = count * EXPECTED.nano!;
  // 16 x $0.10/M + 363 x $0.40/M = 146.8 micro-USD: rounding each request to whole micro-USD drifts.
  expect(EXPECTED.nano! % 1000).not.toBe(0);
  const ledger = await backends.sql.query<{ nanos: number }>('SELECT sum(cost_nanos)::bigint AS nanos FROM spend_logs WHERE key_hash = $1', [key.token]);
  expect(Number(ledger.rows[0]!.nanos)).toBe(expected);
  await waitFor(async () => {
    const aggregate = await backends.sql.query<{ nanos: number }>('SELECT spend_nanos AS nanos FROM spend_by_key WHERE key_hash = $1', [key.token]);
    return Number(aggregate.rows[0]?.nanos) === expected;
  }, { timeoutMs: 10_000, message: 'spend_by_key does not equal the ledger' });
  const info = (await request(`${stack.edgeUrl}/key/info?key=${key.key}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } })).body;
  expect(info.info.spend_micros * 1000).toBeCloseTo(expected, 6);
  expect(info.info.spend).toBeCloseTo(expected / 1e9, 12);
});

test('an unpriced model is refused to a key with a budget, naming the model; a key without one may use it', async () => {
  const budgeted = (await post('/key/generate', { max_budget: 1 })).body;
  const refused = await callModel(budgeted.key, 'local');
  expect(refused.status).toBe(400);
  expect(refused.body.error.code).toBe('model_unpriced');
  expect(refused.body.error.message).toContain("'local'");
  expect(refused.body.error.message).toContain('hosted_vllm/my-llama');
  expect(openai.requests.some((recorded) => (recorded.body as Json)?.model === 'my-llama')).toBe(false);
  const unbudgeted = (await post('/key/generate', {})).body;
  expect((await callModel(unbudgeted.key, 'local')).status).toBe(200);
  // A team budget counts too.
  const team = (await post('/team/new', { max_budget: 1 })).body;
  const teamKey = (await post('/key/generate', { team_id: team.team_id })).body;
  expect((await callModel(teamKey.key, 'local')).body.error.code).toBe('model_unpriced');
});
