// The edge talks to policy and the router over a few long-lived multiplexed streams instead of one call
// per request. These tests hold that design to the same contract as calls: a service that dies fails
// only the requests it carried, promptly and with the right error; a service that shuts down gracefully
// finishes what it has; streams rotated to fresh connections lose nothing; and everything recovers by
// itself when the service is back.
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

const MASTER_KEY = 'sk-multiplex-master';
const FIXTURE = 'openai__chat__openai-text';
const payloads = loadStreamPayloads('vercel-ai', FIXTURE);

let fake: FakeProvider;
let backends: TestBackends;
let stack: Stack;

beforeAll(async () => {
  fake = await startFakeProvider(replayOpenAiFixture(FIXTURE));
  backends = await createTestBackends('multiplex');
  const config = writeConfigFile({
    model_list: [{ model_name: 'gpt-test', litellm_params: { model: 'openai/gpt-4.1-nano', api_base: `${fake.url}/v1`, api_key: 'sk-up' } }],
    general_settings: { master_key: MASTER_KEY },
  });
  // Streams move to fresh connections every 300 ms, so every test here also runs across rotations.
  stack = await startStack({ ...backends.env, SLUICE_CONFIG: config, SLUICE_GRPC_STREAM_ROTATE_MS: '300', SLUICE_POLICY_DEADLINE_MS: '3000' });
});

afterAll(async () => {
  await stack?.stop();
  await fake?.close();
  await backends?.cleanup();
});

function chat(stream = false): Promise<Response> {
  return fetch(`${stack.edgeUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER_KEY}` },
    body: JSON.stringify({ model: 'gpt-test', stream, messages: [{ role: 'user', content: 'hi' }] }),
  });
}

async function succeeds(): Promise<boolean> {
  const response = await chat().catch(() => undefined);
  if (!response) return false;
  await response.text();
  return response.status === 200;
}

describe('multiplexed streams to policy and router', () => {
  test('concurrent requests across stream rotations all complete, each with its own answer', async () => {
    const started = Date.now();
    let completed = 0;
    // Long enough to cross several rotations, and enough requests whatever the machine's speed.
    const worker = async (index: number) => {
      while (Date.now() - started < 1_500 || completed < 60) {
        const response = await chat(index % 2 === 0);
        const text = await response.text();
        expect(response.status).toBe(200);
        if (index % 2 === 0) expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
        else expect((JSON.parse(text) as { object: string }).object).toBe('chat.completion');
        completed += 1;
      }
    };
    await Promise.all(Array.from({ length: 16 }, (_, index) => worker(index)));
    expect(completed).toBeGreaterThanOrEqual(60);
  });

  test('a router killed mid-stream fails only its requests, at once, and the edge reconnects by itself', async () => {
    fake.respondWith(() => ({ sse: payloads, pieceDelayMs: 20 }));
    try {
      const response = await chat(true);
      expect(response.status).toBe(200);
      const reader = response.body!.getReader();
      await reader.read();
      await stack.kill('router', 'SIGKILL');
      let text = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      // The stream ends with an error event and no [DONE]: the client can tell it was cut.
      expect(text).toContain('"code":"router_unavailable"');
      expect(text).not.toContain('[DONE]');
      const refused = await chat();
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('router_unavailable');
    } finally {
      fake.respondWith(replayOpenAiFixture(FIXTURE));
    }
    await stack.restart('router');
    await waitFor(succeeds, { timeoutMs: 20_000, intervalMs: 200, message: 'the edge did not reconnect to the restarted router' });
  });

  test('a router shut down gracefully finishes the streams it carries', async () => {
    fake.respondWith(() => ({ sse: payloads, pieceDelayMs: 5 }));
    try {
      const inFlight = Array.from({ length: 4 }, async () => {
        const response = await chat(true);
        return { status: response.status, text: await response.text() };
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const exited = stack.kill('router', 'SIGTERM');
      const results = await Promise.all(inFlight);
      for (const result of results) {
        expect(result.status, result.text).toBe(200);
        expect(result.text.endsWith('data: [DONE]\n\n')).toBe(true);
      }
      expect(await exited).toBe(0);
    } finally {
      fake.respondWith(replayOpenAiFixture(FIXTURE));
    }
    await stack.restart('router');
    await waitFor(succeeds, { timeoutMs: 20_000, intervalMs: 200 });
  });

  test('policy killed: requests get 503 policy_unavailable within the deadline, then recover', async () => {
    await stack.kill('policy', 'SIGKILL');
    const started = Date.now();
    const response = await chat();
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('policy_unavailable');
    expect(Date.now() - started).toBeLessThan(3_500);
    await stack.restart('policy');
    await waitFor(succeeds, { timeoutMs: 20_000, intervalMs: 200, message: 'the edge did not reconnect to the restarted policy' });
  });
});
