// GET /health (admin only, LiteLLM's shape): the router sends one minimal request to every deployment,
// lists each as healthy or unhealthy, and the router's sluice_deployment_state gauge says which state
// each is in. One provider fails with an error that echoes its key; neither that key nor the password in
// its api_base reaches the answer.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createTestBackends,
  type FakeProvider,
  loadJsonFixture,
  parsePrometheusText,
  type Stack,
  startFakeProvider,
  startStack,
  type TestBackends,
  writeConfigFile,
} from '@sluice/testing';

const MASTER_KEY = 'sk-health-master';
const BAD_KEY = 'sk-health-secret-9876abcd';
const BASE_PASSWORD = 'hunter2pass';
const recorded = loadJsonFixture<Record<string, unknown>>('vercel-ai', 'openai__chat__openai-text');
const embedding = { object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }], model: 'text-embedding-3-small', usage: { prompt_tokens: 1, total_tokens: 1 } };

let good: FakeProvider;
let bad: FakeProvider;
let backends: TestBackends;
let stack: Stack;

beforeAll(async () => {
  good = await startFakeProvider((request) => (request.path.endsWith('/embeddings') ? { json: embedding } : { json: recorded }));
  bad = await startFakeProvider(() => ({
    status: 401,
    json: { error: { message: `Incorrect API key provided: ${BAD_KEY}. You can find your API key at https://example.com.`, type: 'invalid_request_error', code: 'invalid_api_key' } },
  }));
  backends = await createTestBackends('health');
  const badBase = new URL(`${bad.url}/v1`);
  badBase.username = 'probe';
  badBase.password = BASE_PASSWORD;
  stack = await startStack({
    ...backends.env,
    SLUICE_CONFIG: writeConfigFile({
      model_list: [
        { model_name: 'gpt-good', litellm_params: { model: 'openai/gpt-4.1-nano', api_base: `${good.url}/v1`, api_key: 'sk-good-key-1234' }, model_info: { id: 'good-chat' } },
        { model_name: 'gpt-good', litellm_params: { model: 'openai/gpt-4.1-mini', api_base: badBase.toString(), api_key: BAD_KEY }, model_info: { id: 'bad-chat' } },
        { model_name: 'embed', litellm_params: { model: 'openai/text-embedding-3-small', api_base: `${good.url}/v1`, api_key: 'sk-good-key-1234' }, model_info: { id: 'good-embed', mode: 'embedding' } },
      ],
      general_settings: { master_key: MASTER_KEY },
    }),
  });
});

afterAll(async () => {
  await stack?.stop();
  await good?.close();
  await bad?.close();
  await backends?.cleanup();
});

async function health(query = '', key = MASTER_KEY): Promise<{ status: number; text: string; body: any }> {
  const response = await fetch(`${stack.edgeUrl}/health${query}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) };
}

async function routerStates(): Promise<Record<string, string>> {
  const text = await fetch(`http://127.0.0.1:${stack.services.router.ports.http}/metrics`).then((response) => response.text());
  const states: Record<string, string> = {};
  for (const sample of (parsePrometheusText(text).get('sluice_deployment_state')?.samples ?? []).filter((entry) => entry.value === 1)) {
    states[sample.labels.deployment!] = sample.labels.state!;
  }
  return states;
}

describe('GET /health', () => {
  test('every deployment checked with a minimal request; the failing one listed with its error', async () => {
    const goodBefore = good.requests.length;
    const { status, text, body } = await health();
    expect(status, text).toBe(200);
    expect(body.healthy_count).toBe(2);
    expect(body.unhealthy_count).toBe(1);
    expect(body.healthy_endpoints.map((endpoint: any) => endpoint.model_id).sort()).toEqual(['good-chat', 'good-embed']);
    expect(body.healthy_endpoints.find((endpoint: any) => endpoint.model_id === 'good-chat')).toMatchObject({
      model: 'openai/gpt-4.1-nano',
      model_name: 'gpt-good',
      api_base: `${good.url}/v1`,
      state: 'up',
    });
    const [failing] = body.unhealthy_endpoints;
    expect(failing).toMatchObject({ model: 'openai/gpt-4.1-mini', model_id: 'bad-chat', state: 'failing', api_base: `${bad.url}/v1` });
    expect(failing.error).toMatch(/^upstream_auth_error: /);
    // No key, no api_base password, anywhere in the answer.
    for (const secret of [BAD_KEY, 'sk-good-key-1234', BASE_PASSWORD, 'probe:']) expect(text).not.toContain(secret);

    // The minimal requests: one token of chat, one short embedding.
    const sent = good.requests.slice(goodBefore);
    const chat = sent.find((request) => request.path.endsWith('/chat/completions'))!;
    expect(chat.body).toMatchObject({ model: 'gpt-4.1-nano', max_tokens: 1 });
    expect(sent.find((request) => request.path.endsWith('/embeddings'))!.body).toMatchObject({ model: 'text-embedding-3-small', input: ['ping'] });
  });

  test("the router's gauge gives each deployment's state", async () => {
    expect(await routerStates()).toEqual({ 'good-chat': 'up', 'bad-chat': 'failing', 'good-embed': 'up' });
  });

  test('?model= checks one model group; an unknown one is a 404', async () => {
    const before = good.requests.length + bad.requests.length;
    const { body } = await health('?model=embed');
    expect(body).toMatchObject({ healthy_count: 1, unhealthy_count: 0 });
    expect(good.requests.length + bad.requests.length - before).toBe(1);
    const unknown = await health('?model=nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('model_not_found');
  });

  test('a recovered deployment is up again at the next check', async () => {
    bad.respondWith(() => ({ json: recorded }));
    const { body } = await health('?model=gpt-good');
    expect(body).toMatchObject({ healthy_count: 2, unhealthy_count: 0 });
    expect((await routerStates())['bad-chat']).toBe('up');
  });

  test('admin only: no key is a 401, a key that is not an admin a 403', async () => {
    const created = await fetch(`${stack.edgeUrl}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ key_alias: 'not-admin' }),
    }).then((response) => response.json() as Promise<{ key: string }>);
    const before = good.requests.length + bad.requests.length;
    expect((await health('', '')).status).toBe(401);
    const refused = await health('', created.key);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('admin_only');
    // A refused caller made no provider calls.
    expect(good.requests.length + bad.requests.length).toBe(before);
  });
});
