// SIGTERM is a deploy, not an outage: readiness drops at once (liveness does not), open streams finish
// (or, past the drain timeout, end with an error event and their partial usage), every request's usage
// reaches the ledger, and the process exits 0.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createTestBackends,
  type FakeProvider,
  loadStreamPayloads,
  replayOpenAiFixture,
  type Stack,
  startFakeProvider,
  startStack,
  type TestBackends,
  writeConfigFile,
} from '@sluice/testing';
import { waitFor } from './helpers/wait-for.js';

const MASTER_KEY = 'sk-shutdown-master';
const FIXTURE = 'openai__chat__openai-text';
const payloads = loadStreamPayloads('vercel-ai', FIXTURE);
const STREAMS = 50;

let fake: FakeProvider;
let backends: TestBackends;
let stack: Stack;

beforeAll(async () => {
  fake = await startFakeProvider(replayOpenAiFixture(FIXTURE));
  backends = await createTestBackends('shutdown');
  const config = writeConfigFile({
    model_list: [{ model_name: 'gpt-test', litellm_params: { model: 'openai/gpt-4.1-nano', api_base: `${fake.url}/v1`, api_key: 'sk-up' } }],
    general_settings: { master_key: MASTER_KEY },
  });
  stack = await startStack({ ...backends.env, SLUICE_CONFIG: config, SLUICE_LEDGER_BATCH_WAIT_MS: '100' });
});

afterAll(async () => {
  await stack?.stop();
  await fake?.close();
  await backends?.cleanup();
});

interface StreamResult {
  status: number;
  requestId: string;
  text: string;
}

/** Starts a streaming request; resolves `started` once its headers are in, `done` with the whole body. */
function openStream(edgeUrl: string): { started: Promise<void>; done: Promise<StreamResult> } {
  let markStarted!: () => void;
  const started = new Promise<void>((resolve) => {
    markStarted = resolve;
  });
  const done = (async () => {
    const response = await fetch(`${edgeUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: 'Invent a holiday' }] }),
    });
    markStarted();
    return { status: response.status, requestId: response.headers.get('x-request-id') ?? '', text: await response.text() };
  })();
  return { started, done };
}

async function status(url: string): Promise<number> {
  return fetch(url).then(
    (response) => response.status,
    () => 0,
  );
}

async function ledgerRows(requestIds: string[]) {
  const result = await backends.sql.query<{ request_id: string; status: string; error_code: string; completion_tokens: number; usage_estimated: boolean }>(
    'SELECT request_id, status, error_code, completion_tokens, usage_estimated FROM spend_logs WHERE request_id = ANY($1)',
    [requestIds],
  );
  return result.rows;
}

/** Polls readiness from the moment of the signal; resolves how long it took to stop answering 200. */
async function readinessDrop(url: string, signalledAt: number): Promise<number> {
  for (;;) {
    if ((await status(url)) !== 200) return Date.now() - signalledAt;
    if (Date.now() - signalledAt > 5_000) return Number.POSITIVE_INFINITY;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('SIGTERM on the edge', () => {
  test(`${STREAMS} streams in flight all finish, ${STREAMS} usage rows land, readiness drops at once, exit 0`, async () => {
    fake.respondWith(() => ({ sse: payloads, pieceDelayMs: 10 }));
    const streams = Array.from({ length: STREAMS }, () => openStream(stack.edgeUrl));
    await Promise.all(streams.map((stream) => stream.started));

    const signalledAt = Date.now();
    const exited = stack.kill('edge', 'SIGTERM');
    const dropMs = await readinessDrop(`${stack.edgeUrl}/health/readiness`, signalledAt);
    expect(dropMs).toBeLessThan(1_000);
    // The side port (metrics, probes) stays up through the drain and says the same thing.
    expect(await status(`http://127.0.0.1:${stack.services.edge.ports.http}/health/readiness`)).toBe(503);
    // A new request is not served once the edge drains.
    expect(await status(`${stack.edgeUrl}/v1/models`)).not.toBe(200);

    const results = await Promise.all(streams.map((stream) => stream.done));
    for (const result of results) {
      expect(result.status).toBe(200);
      expect(result.text.endsWith('data: [DONE]\n\n')).toBe(true);
    }
    expect(await exited).toBe(0);
    const requestIds = results.map((result) => result.requestId);
    expect(new Set(requestIds).size).toBe(STREAMS);
    await waitFor(async () => (await ledgerRows(requestIds)).length === STREAMS, { timeoutMs: 30_000, message: 'usage rows did not all land' });
    expect((await ledgerRows(requestIds)).every((row) => row.status === 'success')).toBe(true);

    await stack.restart('edge');
  });

  test('past the drain timeout the rest end with an error event and their partial usage is recorded', async () => {
    await stack.kill('edge', 'SIGTERM');
    Object.assign(stack.envOf('edge'), { SLUICE_DRAIN_TIMEOUT_MS: '500' });
    await stack.restart('edge');
    // Streams of 15 seconds: none can finish within the drain timeout.
    fake.respondWith(() => ({ sse: payloads, pieceDelayMs: 50 }));
    try {
      const streams = Array.from({ length: STREAMS }, () => openStream(stack.edgeUrl));
      await Promise.all(streams.map((stream) => stream.started));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const exited = stack.kill('edge', 'SIGTERM');
      const results = await Promise.all(streams.map((stream) => stream.done));
      for (const result of results) {
        expect(result.status).toBe(200);
        expect(result.text).toContain('"code":"shutting_down"');
        expect(result.text).not.toContain('[DONE]');
      }
      expect(await exited).toBe(0);
      const requestIds = results.map((result) => result.requestId);
      await waitFor(async () => (await ledgerRows(requestIds)).length === STREAMS, { timeoutMs: 30_000, message: 'partial usage rows did not all land' });
      for (const row of await ledgerRows(requestIds)) {
        expect(row).toMatchObject({ status: 'failure', error_code: 'shutting_down', usage_estimated: true });
        expect(row.completion_tokens).toBeGreaterThan(0);
      }
    } finally {
      fake.respondWith(replayOpenAiFixture(FIXTURE));
      Object.assign(stack.envOf('edge'), { SLUICE_DRAIN_TIMEOUT_MS: '30000' });
      await stack.restart('edge');
    }
  });
});

describe('SIGTERM on the gRPC services', () => {
  test('router: readiness drops at once while liveness stays up, its streams finish, exit 0', async () => {
    fake.respondWith(() => ({ sse: payloads, pieceDelayMs: 10 }));
    try {
      const streams = Array.from({ length: 5 }, () => openStream(stack.edgeUrl));
      await Promise.all(streams.map((stream) => stream.started));
      const http = `http://127.0.0.1:${stack.services.router.ports.http}`;
      const signalledAt = Date.now();
      const exited = stack.kill('router', 'SIGTERM');
      expect(await readinessDrop(`${http}/health/readiness`, signalledAt)).toBeLessThan(1_000);
      expect(await status(`${http}/health/liveliness`)).toBe(200);
      for (const result of await Promise.all(streams.map((stream) => stream.done))) {
        expect(result.text.endsWith('data: [DONE]\n\n')).toBe(true);
      }
      expect(await exited).toBe(0);
    } finally {
      fake.respondWith(replayOpenAiFixture(FIXTURE));
      await stack.restart('router');
    }
  });

  test.each(['policy', 'accounting'] as const)('%s: exits 0 on SIGTERM and comes back', async (name) => {
    expect(await status(`http://127.0.0.1:${stack.services[name].ports.http}/health/readiness`)).toBe(200);
    expect(await stack.kill(name, 'SIGTERM')).toBe(0);
    await stack.restart(name);
    await waitFor(async () => (await status(`http://127.0.0.1:${stack.services[name].ports.http}/health/readiness`)) === 200, { timeoutMs: 10_000 });
  });
});
