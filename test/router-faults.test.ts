// Provider faults through the whole stack, and cooldowns shared by two router replicas: 500s, 429 with
// Retry-After, a hang before the first token, a connection dropped after 10 chunks. The faults run in both
// shapes: the four services apart, and the edge and the router in one process (completions in process).
import { createInternalAuth, GRPC_CLIENT_OPTIONS } from '@sluice/common';
import { CallType, type CompletePart, RouterClient } from '@sluice/proto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createTestBackends,
  type FakeProvider,
  type FakeResponse,
  loadStreamPayloads,
  type ServiceProcess,
  type Stack,
  type StackShape,
  startFakeProvider,
  startService,
  startStack,
  type TestBackends,
  writeConfigFile,
} from '@sluice/testing';
import { waitFor } from './helpers/wait-for.js';

const MASTER_KEY = 'sk-faults-master';
const STREAM = loadStreamPayloads('vercel-ai', 'openai__chat__openai-text');
const ANSWER = { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'fine' }, finish_reason: 'stop' }], usage: { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5 } };
const OK = (request: { body: unknown }): FakeResponse => ((request.body as { stream?: boolean }).stream ? { sse: STREAM } : { json: ANSWER });
const RETRY_AFTER_SECONDS = 4;

const fakes: Record<string, FakeProvider> = {};
let backends: TestBackends;
let config: string;
let stack: Stack;
let secondRouter: ServiceProcess | undefined;

beforeAll(async () => {
  fakes.broken = await startFakeProvider(() => ({ status: 500, json: { error: { message: 'internal' } } }));
  fakes.healthy = await startFakeProvider(OK);
  fakes.limited = await startFakeProvider(() => ({ status: 429, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) }, json: { error: { message: 'rate limited' } } }));
  fakes.steady = await startFakeProvider(OK);
  fakes.hanging = await startFakeProvider(() => ({ hang: true }));
  // A short pause between events lets each reach the socket before the connection is destroyed.
  fakes.dropping = await startFakeProvider(() => ({ sse: STREAM, dropAfter: 10, pieceDelayMs: 5 }));
  backends = await createTestBackends('faults');
  const deployment = (name: string, fake: string, extra: Record<string, unknown> = {}) => ({
    model_name: name,
    litellm_params: { model: 'openai/gpt-4o-mini', api_base: `${fakes[fake]!.url}/v1`, api_key: 'sk-up', ...extra },
    model_info: { id: `${name}-${fake}` },
  });
  config = writeConfigFile({
    model_list: [
      deployment('broken', 'broken'),
      deployment('broken-with-fallback', 'broken'),
      deployment('backup', 'healthy'),
      deployment('pair', 'limited'),
      deployment('pair', 'steady'),
      deployment('hanging', 'hanging', { stream_timeout: 1, timeout: 1 }),
      deployment('dropping', 'dropping'),
    ],
    router_settings: { num_retries: 2, fallbacks: [{ 'broken-with-fallback': ['backup'] }], keep_alive_interval: 0.25, cooldown_time: 30 },
    general_settings: { master_key: MASTER_KEY },
  });
});

afterAll(async () => {
  for (const fake of Object.values(fakes)) await fake.close();
  await backends?.cleanup();
});

/** A stack of the given shape for the tests of one describe block, stopped after them. */
function useStack(shape: StackShape): void {
  beforeAll(async () => {
    stack = await startStack({ ...backends.env, SLUICE_CONFIG: config }, [], shape);
  });
  afterAll(async () => {
    if (secondRouter && secondRouter.child.exitCode === null) {
      secondRouter.child.kill('SIGTERM');
      await secondRouter.exited;
    }
    await stack?.stop();
  });
}

async function chat(model: string, stream = false): Promise<Response> {
  return fetch(`${stack.edgeUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hi' }] }),
  });
}

/** One Complete call straight to a router replica over gRPC; resolves with the deployment that answered. */
function completeVia(port: number, modelGroup: string): Promise<string> {
  const auth = createInternalAuth(backends.env.SLUICE_INTERNAL_TOKEN);
  const client = new RouterClient(`127.0.0.1:${port}`, auth.credentials(), { ...GRPC_CLIENT_OPTIONS, interceptors: auth.interceptors() });
  return new Promise((resolve, reject) => {
    let deployment = '';
    const call = client.complete({
      requestId: `grpc-${Math.random()}`,
      callType: CallType.CALL_TYPE_CHAT_COMPLETION,
      modelGroup,
      body: Buffer.from(JSON.stringify({ model: modelGroup, messages: [{ role: 'user', content: 'hi' }] })),
      stream: false,
      includeUsage: false,
      cacheNamespace: '',
      cache: undefined,
      traceparent: '',
      clientHeaders: {},
      owner: '',
      tags: [],
    });
    call.on('data', (part: CompletePart) => {
      if (part.part?.$case === 'start') deployment = part.part.start.deploymentId;
    });
    call.on('error', (error) => {
      client.close();
      reject(error);
    });
    call.on('end', () => {
      client.close();
      resolve(deployment);
    });
  });
}

describe.each(['four-services', 'edge-with-router'] as const)('failing providers (%s)', (shape) => {
  useStack(shape);

  test('500s: the client gets a 502 after exactly 1 + num_retries attempts', async () => {
    const before = fakes.broken!.requests.length;
    const response = await chat('broken');
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('upstream_error');
    expect(fakes.broken!.requests.length - before).toBe(3);
  });

  test('the fallback group answers when the primary keeps failing', async () => {
    const before = fakes.broken!.requests.length;
    const healthyBefore = fakes.healthy!.requests.length;
    const response = await chat('broken-with-fallback');
    expect(response.status).toBe(200);
    expect(((await response.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe('fine');
    expect(fakes.broken!.requests.length - before).toBe(3);
    expect(fakes.healthy!.requests.length - healthyBefore).toBe(1);
  });

  test('a hang before the first token: keep-alive comments, then a timeout error event and no [DONE]', async () => {
    const before = fakes.hanging!.requests.length;
    const response = await chat('hanging', true);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain(': keep-alive\n\n');
    const events = text.split('\n\n').filter((event) => event.startsWith('data: '));
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.slice('data: '.length))).toMatchObject({ error: { code: 'upstream_timeout', type: 'timeout_error' } });
    expect(text).not.toContain('[DONE]');
    expect(fakes.hanging!.requests.length - before).toBe(3);
  });

  test('a hang on a non-streaming call is a 504 after its timeout', async () => {
    const response = await chat('hanging');
    expect(response.status).toBe(504);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('upstream_timeout');
  });

  test('a drop after 10 chunks: the client gets its 10 chunks and an error event, and a partial usage row is written', async () => {
    const droppingBefore = fakes.dropping!.requests.length;
    const response = await chat('dropping', true);
    expect(response.status).toBe(200);
    const requestId = response.headers.get('x-request-id')!;
    const events = (await response.text()).split('\n\n').filter(Boolean);
    expect(events.slice(0, 10)).toEqual(STREAM.slice(0, 10).map((payload) => `data: ${payload}`));
    expect(events).toHaveLength(11);
    expect(JSON.parse(events[10]!.slice('data: '.length))).toMatchObject({ error: { code: 'upstream_stream_error' } });
    expect(fakes.dropping!.requests.length - droppingBefore).toBe(1);
    await waitFor(async () => (await backends.sql.query('SELECT 1 FROM spend_logs WHERE request_id = $1', [requestId])).rows.length === 1, { timeoutMs: 20_000 });
    const row = (
      await backends.sql.query<{ status: string; error_code: string; usage_estimated: boolean; completion_tokens: number; prompt_tokens: number; cost_micros: number }>(
        'SELECT status, error_code, usage_estimated, completion_tokens, prompt_tokens, cost_micros FROM spend_logs WHERE request_id = $1',
        [requestId],
      )
    ).rows[0]!;
    expect(row).toMatchObject({ status: 'failure', error_code: 'upstream_stream_error', usage_estimated: true });
    expect(row.completion_tokens).toBeGreaterThanOrEqual(10);
    expect(row.prompt_tokens).toBeGreaterThan(0);
    expect(row.cost_micros).toBeGreaterThan(0);
  });
});

describe('cooldowns across router replicas', () => {
  useStack('four-services');
  beforeAll(async () => {
    secondRouter = await startService('router', { ...stack.envOf('router'), SLUICE_ROUTER_PORT: '0', SLUICE_ROUTER_HTTP_PORT: '0' });
  });

  test('a 429 with Retry-After: no traffic to that deployment from either replica until it ends, then it comes back', async () => {
    const ports = [stack.services.router.ports.grpc!, secondRouter!.ports.grpc!];
    // Simple shuffle picks either deployment; go until the limited one has been tried once.
    for (let attempt = 0; attempt < 40 && fakes.limited!.requests.length === 0; attempt += 1) {
      expect(await completeVia(ports[0]!, 'pair')).toBe('pair-steady');
    }
    expect(fakes.limited!.requests).toHaveLength(1);
    const cooledAt = Date.now();
    const answered: string[] = [];
    for (let index = 0; index < 20; index += 1) answered.push(await completeVia(ports[index % 2]!, 'pair'));
    // Every request in the cooldown window went to the healthy deployment, on both replicas.
    if (Date.now() - cooledAt < RETRY_AFTER_SECONDS * 1000) expect(fakes.limited!.requests).toHaveLength(1);
    expect(new Set(answered)).toEqual(new Set(['pair-steady']));

    // The provider recovers; once the cooldown ends, both replicas send it traffic again by themselves.
    fakes.limited!.respondWith(OK);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, cooledAt + RETRY_AFTER_SECONDS * 1000 + 500 - Date.now())));
    for (const port of ports) {
      const before = fakes.limited!.requests.length;
      for (let attempt = 0; attempt < 40 && fakes.limited!.requests.length === before; attempt += 1) await completeVia(port, 'pair');
      expect(fakes.limited!.requests.length).toBe(before + 1);
    }
  });
});
