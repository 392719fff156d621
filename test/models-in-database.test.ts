// Models in the database (general_settings.store_model_in_db, issue 21) on the real stack with two router
// replicas, each behind its own edge: a model added through /model/new on one answers through the other
// within a second; /model/update and /model/delete reach every replica the same way; the provider key is
// sealed in Postgres and in no answer and no log line.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createTestBackends,
  type FakeProvider,
  replayOpenAiFixture,
  type ServiceProcess,
  type Stack,
  startFakeProvider,
  startService,
  startStack,
  type TestBackends,
  writeConfigFile,
} from '@sluice/testing';
import { waitFor } from './helpers/wait-for.js';

const MASTER_KEY = 'sk-db-models-master';
const PROVIDER_KEY = 'sk-stored-provider-secret-9f8e7d';
const FIXTURE = 'openai__chat__openai-text';

let providerA: FakeProvider;
let providerB: FakeProvider;
let backends: TestBackends;
let stack: Stack;
const extra: ServiceProcess[] = [];
/** [0]: the stack's edge and router; [1]: a second router replica and an edge that uses it. */
const edges: string[] = [];
const answers: string[] = [];

async function call(edge: string, method: 'GET' | 'POST', path: string, body?: unknown, key = MASTER_KEY): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const response = await fetch(`${edge}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  answers.push(text);
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

const chat = (edge: string, model: string, key = MASTER_KEY) =>
  call(edge, 'POST', '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'Invent a holiday' }] }, key);

/** Milliseconds until `model` answers `status` through `edge`. */
async function timeUntil(edge: string, model: string, status: number): Promise<number> {
  const started = Date.now();
  await waitFor(async () => (await chat(edge, model)).status === status, { timeoutMs: 5_000, intervalMs: 25, message: `${model} never answered ${status}` });
  return Date.now() - started;
}

beforeAll(async () => {
  providerA = await startFakeProvider(replayOpenAiFixture(FIXTURE));
  providerB = await startFakeProvider(replayOpenAiFixture(FIXTURE));
  backends = await createTestBackends('dbmodels');
  const config = writeConfigFile({
    model_list: [{ model_name: 'file-model', litellm_params: { model: 'openai/gpt-4.1-nano', api_base: `${providerA.url}/v1`, api_key: 'sk-file-upstream' } }],
    general_settings: { master_key: MASTER_KEY, store_model_in_db: true },
  });
  stack = await startStack({ ...backends.env, SLUICE_CONFIG: config, LITELLM_SALT_KEY: 'salt-for-the-db-models-test' });
  const router = await startService('router', { ...stack.envOf('router'), SLUICE_ROUTER_PORT: '0', SLUICE_ROUTER_HTTP_PORT: '0' });
  extra.push(router);
  const edge = await startService('edge', {
    ...stack.envOf('edge'),
    SLUICE_EDGE_PORT: '0',
    SLUICE_EDGE_METRICS_PORT: '0',
    SLUICE_ROUTER_ADDRESS: `127.0.0.1:${router.ports.grpc}`,
  });
  extra.push(edge);
  edges.push(stack.edgeUrl, `http://127.0.0.1:${edge.ports.edge}`);
});

afterAll(async () => {
  for (const service of extra) service.child.kill('SIGTERM');
  await Promise.all(extra.map((service) => service.exited));
  await stack?.stop();
  await Promise.all([providerA?.close(), providerB?.close()]);
  await backends?.cleanup();
});

describe('models in the database', () => {
  let modelId = '';

  test('/model/new on one replica answers on the other within a second, with the key sealed', async () => {
    expect((await chat(edges[1]!, 'db-model')).status).toBe(404);
    const created = await call(edges[0]!, 'POST', '/model/new', {
      model_name: 'db-model',
      litellm_params: { model: 'openai/gpt-4.1-nano', api_base: `${providerA.url}/v1`, api_key: PROVIDER_KEY },
      model_info: { mode: 'chat' },
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ model_name: 'db-model', litellm_params: { model: 'openai/gpt-4.1-nano' }, model_info: { db_model: true, mode: 'chat' } });
    expect(created.body.litellm_params.api_key).toBeUndefined();
    modelId = created.body.model_id;
    const elapsed = await timeUntil(edges[1]!, 'db-model', 200);
    expect(elapsed).toBeLessThan(1_000);
    // The other replica opened the sealed key and sent it upstream.
    expect(providerA.requests.at(-1)!.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);

    // Policy knows the stored model too: a budgeted key gets it priced (not refused as unpriced), a key
    // limited to other models is refused it, and neither may manage models.
    const budgeted = (await call(edges[0]!, 'POST', '/key/generate', { max_budget: 5 })).body.key as string;
    const limited = (await call(edges[0]!, 'POST', '/key/generate', { models: ['file-model'] })).body.key as string;
    expect((await chat(edges[1]!, 'db-model', budgeted)).status).toBe(200);
    const refused = await chat(edges[1]!, 'db-model', limited);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('model_not_allowed');
    const notAdmin = await call(edges[1]!, 'POST', '/model/delete', { id: modelId }, budgeted);
    expect(notAdmin.status).toBe(403);
    expect(notAdmin.body.error.code).toBe('admin_only');

    const rows = await backends.sql.query<Record<string, unknown>>('SELECT * FROM proxy_models');
    expect(rows.rows).toHaveLength(1);
    expect(JSON.stringify(rows.rows[0])).not.toContain(PROVIDER_KEY);
    expect(rows.rows[0]!.litellm_params_encrypted).toMatch(/^v1:/);
  });

  test('/model/info, /v1/model/info and /model_group/info list stored and file models, admin only', async () => {
    for (const path of ['/model/info', '/v1/model/info']) {
      const info = await call(edges[1]!, 'GET', path);
      expect(info.status).toBe(200);
      const stored = info.body.data.find((entry: { model_name: string }) => entry.model_name === 'db-model');
      expect(stored.model_info).toMatchObject({ id: modelId, db_model: true });
      expect(info.body.data.find((entry: { model_name: string }) => entry.model_name === 'file-model').model_info.db_model).toBe(false);
    }
    const groups = await call(edges[0]!, 'GET', '/model_group/info');
    expect(groups.status).toBe(200);
    expect(groups.body.data).toEqual(
      expect.arrayContaining([
        { model_group: 'file-model', providers: ['openai'], mode: 'chat' },
        { model_group: 'db-model', providers: ['openai'], mode: 'chat' },
      ]),
    );
    const bodies = {
      '/model/new': { model_name: 'x', litellm_params: { model: 'openai/x' } },
      '/model/update': { model_info: { id: modelId }, model_name: 'x' },
      '/model/delete': { id: modelId },
    };
    for (const [path, body] of Object.entries(bodies)) expect((await call(edges[0]!, 'POST', path, body, 'sk-not-a-key-at-all')).status).toBe(401);
    expect((await call(edges[0]!, 'GET', '/model_group/info', undefined, 'sk-not-a-key-at-all')).status).toBe(401);
  });

  test('a model that cannot be routed, or that reads the environment or a file, is refused (400) and not stored', async () => {
    for (const litellmParams of [
      { model: 'mystery-model', api_key: PROVIDER_KEY },
      { model: 'openai/gpt-4.1-nano', api_base: `${providerA.url}/v1`, api_key: 'os.environ/DATABASE_URL' },
      { model: 'openai/gpt-4.1-nano', api_base: `${providerA.url}/v1`, api_key: 'os.file//etc/passwd' },
      { model: 'openai/gpt-4.1-nano', api_base: 'ftp://example.com/v1' },
    ]) {
      const refused = await call(edges[0]!, 'POST', '/model/new', { model_name: 'bad-model', litellm_params: litellmParams });
      expect(refused.status).toBe(400);
      expect(refused.body.error.type).toBe('invalid_request_error');
    }
    expect((await backends.sql.query('SELECT 1 FROM proxy_models')).rows).toHaveLength(1);
    expect((await call(edges[0]!, 'POST', '/model/update', { model_info: { id: 'no-such-model' }, model_name: 'x' })).status).toBe(404);
  });

  test('/model/update on the second replica moves the model to a new api_base everywhere, keeping its key', async () => {
    const updated = await call(edges[1]!, 'POST', '/model/update', { model_info: { id: modelId }, litellm_params: { api_base: `${providerB.url}/v1` } });
    expect(updated.status).toBe(200);
    expect(updated.body.litellm_params).toEqual({ model: 'openai/gpt-4.1-nano', api_base: `${providerB.url}/v1` });
    const before = providerB.requests.length;
    const started = Date.now();
    await waitFor(async () => (await chat(edges[0]!, 'db-model')).status === 200 && providerB.requests.length > before, {
      timeoutMs: 5_000,
      intervalMs: 25,
      message: 'the first replica did not take the update',
    });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(providerB.requests.at(-1)!.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
  });

  test('/model/delete removes it from every replica within a second; the file model stays', async () => {
    const deleted = await call(edges[0]!, 'POST', '/model/delete', { id: modelId });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ message: `Model: ${modelId} deleted successfully` });
    expect(await timeUntil(edges[1]!, 'db-model', 404)).toBeLessThan(1_000);
    expect((await chat(edges[1]!, 'file-model')).status).toBe(200);
    expect((await call(edges[0]!, 'POST', '/model/delete', { id: modelId })).status).toBe(404);
  });

  test('the provider key is in no answer and in no log line of any service', () => {
    expect(answers.length).toBeGreaterThan(10);
    for (const answer of answers) expect(answer).not.toContain(PROVIDER_KEY);
    const logs = [...Object.values(stack.services), ...extra].flatMap((service) => service.logs);
    expect(logs.join('\n')).not.toContain(PROVIDER_KEY);
  });
});
