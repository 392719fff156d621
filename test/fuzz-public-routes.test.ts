// Property-based fuzzing of every public route against a real stack: valid bodies mutated field by field,
// random JSON and random bytes, with a few header variations. Whatever arrives, the answer is never a
// 5xx, every error has OpenAI's shape, the processes stay up, and no hold is left behind.
// The seed is fixed so a failure replays exactly; the count is bounded so the run stays well under a minute.
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ADMIN_ROUTES } from '@sluice/common';
import {
  createTestBackends,
  type FakeProvider,
  loadJsonFixture,
  loadStreamPayloads,
  type RecordedRequest,
  replayOpenAiFixture,
  type Stack,
  startFakeProvider,
  startStack,
  type TestBackends,
  writeConfigFile,
} from '@sluice/testing';
import { holdsLeft } from './helpers/policy-stack.js';
import { waitFor } from './helpers/wait-for.js';

const MASTER_KEY = 'sk-fuzz-master';
const SEED = 20_261_402;
const RUNS = 400;

let fake: FakeProvider;
let backends: TestBackends;
let stack: Stack;
let testKey: string;
/** A key the admin bodies may change or delete, so the test key keeps its limits. */
let spareKey: string;

const chatReplay = replayOpenAiFixture('openai__chat__openai-text');
const completionJson = loadJsonFixture('vercel-ai', 'openai__completion__openai-completion-text');
const completionStream = loadStreamPayloads('vercel-ai', 'openai__completion__openai-completion-text');
const embeddingJson = loadJsonFixture('vercel-ai', 'openai__embedding__openai-embedding');

function respond(request: RecordedRequest, index: number) {
  const stream = (request.body as { stream?: unknown } | undefined)?.stream === true;
  if (request.path.endsWith('/embeddings')) return { json: embeddingJson };
  if (request.path.endsWith('/completions') && !request.path.endsWith('/chat/completions')) {
    return stream ? { sse: completionStream } : { json: completionJson };
  }
  return chatReplay(request, index);
}

beforeAll(async () => {
  fake = await startFakeProvider(respond);
  backends = await createTestBackends('fuzz');
  const params = { api_base: `${fake.url}/v1`, api_key: 'sk-upstream-fuzz', input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 };
  const config = writeConfigFile({
    model_list: [
      { model_name: 'gpt-test', litellm_params: { model: 'openai/gpt-4.1-nano', ...params } },
      { model_name: 'text-test', litellm_params: { model: 'text-completion-openai/gpt-3.5-turbo-instruct', ...params }, model_info: { mode: 'completion' } },
      { model_name: 'embed-test', litellm_params: { model: 'openai/text-embedding-3-small', ...params }, model_info: { mode: 'embedding' } },
    ],
    general_settings: { master_key: MASTER_KEY },
  });
  stack = await startStack({ ...backends.env, SLUICE_CONFIG: config });
  const generate = async (body: unknown) => {
    const response = await fetch(`${stack.edgeUrl}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { key: string }).key;
  };
  testKey = await generate({ key_alias: 'fuzzed', max_parallel_requests: 4, max_budget: 1000 });
  spareKey = await generate({ key_alias: 'spare' });
});

afterAll(async () => {
  await stack?.stop();
  await fake?.close();
  await backends?.cleanup();
});

interface Route {
  method: 'GET' | 'POST';
  path: string;
  /** A valid body (POST) or query (GET) to mutate. */
  valid: () => Record<string, unknown>;
  admin: boolean;
}

const messages = [{ role: 'user', content: 'Invent a holiday' }];
const PUBLIC_ROUTES: Route[] = [
  { method: 'POST', path: '/v1/chat/completions', valid: () => ({ model: 'gpt-test', messages, max_tokens: 50 }), admin: false },
  { method: 'POST', path: '/chat/completions', valid: () => ({ model: 'gpt-test', messages, stream: true }), admin: false },
  { method: 'POST', path: '/v1/completions', valid: () => ({ model: 'text-test', prompt: 'Invent a holiday', max_tokens: 20 }), admin: false },
  { method: 'POST', path: '/v1/embeddings', valid: () => ({ model: 'embed-test', input: ['one', 'two'] }), admin: false },
  { method: 'GET', path: '/v1/models', valid: () => ({}), admin: false },
];
const SAMPLE_BODIES: Record<string, () => Record<string, unknown>> = {
  '/key/generate': () => ({ key_alias: 'fuzz-made', max_budget: 1, models: ['gpt-test'], metadata: { team: 'a' } }),
  '/key/update': () => ({ key: spareKey, max_budget: 2, rpm_limit: 10 }),
  '/key/delete': () => ({ keys: ['sk-not-a-real-key'] }),
  '/team/new': () => ({ team_alias: 'fuzz-team', max_budget: 5 }),
  '/user/new': () => ({ user_id: 'fuzz-user', auto_create_key: false }),
  '/organization/new': () => ({ organization_alias: 'fuzz-org' }),
};
const ADMIN: Route[] = ADMIN_ROUTES.map((route) => ({
  method: route.method,
  path: route.paths[0]!,
  valid: SAMPLE_BODIES[route.route] ?? (() => (route.method === 'GET' ? { key: spareKey } : {})),
  admin: true,
}));
const SPEND: Route[] = ['/spend/logs', '/global/spend/report', '/global/spend/keys', '/global/spend/models'].map((path) => ({
  method: 'GET',
  path,
  valid: () => ({ start_date: '2026-01-01', end_date: '2026-12-31' }),
  admin: true,
}));
// The public routes reach policy, the router and the provider: they get most of the runs.
const ROUTES = [...Array.from({ length: 6 }, () => PUBLIC_ROUTES).flat(), ...ADMIN, ...SPEND];

// JSON values with the shapes that have broken gateways: huge and fractional numbers, prototype names,
// deep nesting, odd strings.
const nastyKey = fc.constantFrom('__proto__', 'constructor', 'toString', 'model', 'messages', 'metadata', 'n', 'max_tokens', 'stream', 'tools', '');
const nastyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(1e11, -1, 0, 2 ** 31, 2 ** 32, 2 ** 53, 1.5, -0, 'constructor', '__proto__', null, true, '', '\u0000', '\ud83d\ude00'),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
);
type Mutation = { kind: 'set'; key: string; value: unknown } | { kind: 'delete'; key: string } | { kind: 'nest'; depth: number };
// Changes a valid request may carry and still be served: these take the request past validation into
// policy's holds, the router and the provider.
const plausible: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: fc.constant('max_tokens'), value: fc.integer({ min: 1, max: 100_000 }) }),
  fc.record({ kind: fc.constant('set' as const), key: fc.constant('temperature'), value: fc.double({ min: 0, max: 2, noNaN: true }) }),
  fc.record({ kind: fc.constant('set' as const), key: fc.constant('n'), value: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('set' as const), key: fc.constant('stream'), value: fc.boolean() }),
  fc.record({ kind: fc.constant('set' as const), key: fc.constant('user'), value: fc.string({ maxLength: 30 }) }),
  fc.record({ kind: fc.constant('set' as const), key: fc.constant('metadata'), value: fc.dictionary(nastyKey, nastyValue, { maxKeys: 4 }) }),
  fc.record({ kind: fc.constant('nest' as const), depth: fc.integer({ min: 1, max: 60 }) }),
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: fc.oneof(nastyKey, fc.string({ maxLength: 12 })), value: nastyValue }),
  fc.record({ kind: fc.constant('delete' as const), key: nastyKey }),
  fc.record({ kind: fc.constant('nest' as const), depth: fc.integer({ min: 1, max: 200 }) }),
);

function applyMutations(base: Record<string, unknown>, mutations: Mutation[]): string {
  // Built as text: "__proto__" must end up as a key of the JSON, as a client could send it.
  const entries = new Map<string, unknown>(Object.entries(base));
  let nested: string | undefined;
  for (const change of mutations) {
    if (change.kind === 'set') entries.set(change.key, change.value);
    else if (change.kind === 'delete') entries.delete(change.key);
    else nested = `${'{"a":'.repeat(change.depth)}1${'}'.repeat(change.depth)}`;
  }
  const parts = [...entries].map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}`);
  if (nested) parts.push(`"metadata":${nested}`);
  return `{${parts.join(',')}}`;
}

const body = fc.oneof(
  { weight: 5, arbitrary: fc.array(plausible, { maxLength: 3 }).map((changes) => ({ mutate: changes })) },
  { weight: 4, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 4 }).map((changes) => ({ mutate: changes })) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 5 }).map((value) => ({ raw: JSON.stringify(value) ?? 'null' })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ bytes })) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 100 }).map((text) => ({ raw: text })) },
);
const caller = fc.constantFrom('test-key', 'test-key', 'master', 'none', 'garbage', 'bearer-only', 'x-api-key');
const contentType = fc.constantFrom('application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', undefined, 'application/json; charset=latin1', '*/*;;;');
const queryValue = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('constructor', '__proto__', '-1', '1e309', '2026-02-30', '%', 'sk-1234'));

const sample = fc.record({
  route: fc.constantFrom(...ROUTES),
  body,
  caller,
  contentType,
  query: fc.dictionary(fc.oneof(nastyKey, fc.constantFrom('limit', 'group_by', 'api_key', 'start_date', 'end_date', 'key', 'team_id')), queryValue, { maxKeys: 3 }),
});

function headersFor(callerName: string, admin: boolean, type: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (type !== undefined) headers['content-type'] = type;
  const key = admin ? MASTER_KEY : testKey;
  if (callerName === 'test-key') headers.authorization = `Bearer ${key}`;
  else if (callerName === 'master') headers.authorization = `Bearer ${MASTER_KEY}`;
  else if (callerName === 'garbage') headers.authorization = 'Bearer sk-garbage\u00e9';
  else if (callerName === 'bearer-only') headers.authorization = 'Bearer ';
  else if (callerName === 'x-api-key') headers['x-api-key'] = key;
  return headers;
}

function assertOpenAiError(status: number, text: string, label: string): void {
  let parsed: { error?: Record<string, unknown> } | undefined;
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw new Error(`${label}: ${status} without a JSON body: ${text.slice(0, 200)}`);
  }
  const error = parsed?.error;
  if (!error || typeof error.message !== 'string' || typeof error.type !== 'string' || typeof error.code !== 'string' || !('param' in error)) {
    throw new Error(`${label}: ${status} body is not OpenAI-shaped: ${text.slice(0, 200)}`);
  }
}

const findings: string[] = [];

test('no input makes the edge answer 5xx or a non-OpenAI error; the stack stays up and holds are released', async () => {
  await fc.assert(
    fc.asyncProperty(sample, async ({ route, body: input, caller: callerName, contentType: type, query }) => {
      const url = new URL(`${stack.edgeUrl}${route.path}`);
      const queryBase = route.method === 'GET' ? route.valid() : {};
      for (const [name, value] of Object.entries({ ...queryBase, ...query })) url.searchParams.set(name, String(value));
      let payload: string | Uint8Array | undefined;
      if (route.method === 'POST') {
        if ('mutate' in input) payload = applyMutations(route.valid(), input.mutate);
        else if ('raw' in input) payload = input.raw;
        else payload = input.bytes;
      }
      const label = `${route.method} ${url.pathname}${url.search} (${callerName}, ${type ?? 'no content-type'}) ${payload === undefined ? '' : Buffer.from(payload).toString('utf8').slice(0, 300)}`;
      const response = await fetch(url, { method: route.method, headers: headersFor(callerName, route.admin, type), body: payload });
      const text = await response.text();
      if (response.status >= 500) {
        findings.push(`${response.status} ${text.slice(0, 200)} <- ${label}`);
        throw new Error(`${label}: answered ${response.status}: ${text.slice(0, 300)}`);
      }
      if (response.status >= 400) assertOpenAiError(response.status, text, label);
      // A stream that started must not end in an error event caused by its input.
      if (response.status === 200 && text.startsWith('data:') && /"type":"server_error"/.test(text)) throw new Error(`${label}: the stream failed: ${text.slice(-300)}`);
    }),
    { seed: SEED, numRuns: RUNS, endOnFailure: true },
  );

  for (const name of ['policy', 'router', 'accounting', 'edge'] as const) {
    const service = stack.services[name];
    expect(service.child.exitCode, `${name} exited`).toBeNull();
    expect((await fetch(`http://127.0.0.1:${service.ports.http}/health/readiness`)).status, `${name} not ready`).toBe(200);
  }
  // Every hold the fuzzed requests took is settled by their usage events.
  await waitFor(async () => (await holdsLeft(backends)) === 0, { timeoutMs: 30_000, message: 'holds left in Redis' });
  const info = await fetch(`${stack.edgeUrl}/key/info?key=${testKey}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
  expect(info.status).toBe(200);
  const { info: keyInfo } = (await info.json()) as { info: { current_parallel_requests: number; reserved_spend_micros: number; spend_micros: number } };
  expect(keyInfo.current_parallel_requests).toBe(0);
  expect(keyInfo.reserved_spend_micros).toBe(0);
  // The fuzzed key did get requests through (the property is not vacuous).
  expect(keyInfo.spend_micros).toBeGreaterThan(0);
  expect(findings).toEqual([]);
}, 120_000);
