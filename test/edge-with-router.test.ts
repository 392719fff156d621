// The edge-with-router shape (the edge and the router in one process, completions called in process): a
// client that goes away mid-stream (the upstream call must stop with it) and a SIGTERM with streams in
// flight. The walking skeleton and the provider faults of router-faults.test.ts run in this shape as well.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createTestBackends,
  type FakeProvider,
  type FakeResponse,
  loadStreamPayloads,
  type Stack,
  startFakeProvider,
  startStack,
  type TestBackends,
  writeConfigFile,
} from '@sluice/testing';
import { waitFor } from './helpers/wait-for.js';

const MASTER_KEY = 'sk-together-master';
const STREAM = loadStreamPayloads('vercel-ai', 'openai__chat__openai-text');
const ANSWER = { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'fine' }, finish_reason: 'stop' }], usage: { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5 } };
const SLOW_CHUNKS = 100;
const SLOW_CHUNK_MS = 50;

/** A provider that streams a chunk every 50 ms for 5 s and records whether its client hung up first. */
interface SlowProvider {
  url: string;
  /** Resolves with true when the gateway closed the connection before the stream ended. */
  nextClose(): Promise<boolean>;
  close(): Promise<void>;
}

async function startSlowProvider(): Promise<SlowProvider> {
  let waiting: ((cutShort: boolean) => void) | undefined;
  const closes: boolean[] = [];
  const server: Server = createServer((request, response: ServerResponse) => {
    request.resume();
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    let sent = 0;
    const timer = setInterval(() => {
      if (sent === SLOW_CHUNKS) {
        clearInterval(timer);
        response.end('data: [DONE]\n\n');
        return;
      }
      const chunk = { id: 's', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: `w${sent} ` }, finish_reason: null }] };
      response.write(`data: ${JSON.stringify(chunk)}\n\n`);
      sent += 1;
    }, SLOW_CHUNK_MS);
    response.on('close', () => {
      clearInterval(timer);
      const cutShort = sent < SLOW_CHUNKS;
      if (waiting) {
        waiting(cutShort);
        waiting = undefined;
      } else closes.push(cutShort);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    nextClose: () => (closes.length > 0 ? Promise.resolve(closes.shift()!) : new Promise((resolve) => (waiting = resolve))),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const fakes: Record<string, FakeProvider> = {};
let slow: SlowProvider;
let backends: TestBackends;
let stack: Stack;

beforeAll(async () => {
  fakes.steady = await startFakeProvider((request): FakeResponse => ((request.body as { stream?: boolean }).stream ? { sse: STREAM, pieceDelayMs: 20 } : { json: ANSWER }));
  slow = await startSlowProvider();
  backends = await createTestBackends('together');
  const deployment = (name: string, apiBase: string) => ({
    model_name: name,
    litellm_params: { model: 'openai/gpt-4o-mini', api_base: `${apiBase}/v1`, api_key: 'sk-up' },
  });
  const config = writeConfigFile({
    model_list: [
      deployment('steady', fakes.steady.url),
      deployment('slow', slow.url),
    ],
    general_settings: { master_key: MASTER_KEY },
  });
  stack = await startStack({ ...backends.env, SLUICE_CONFIG: config }, [], 'edge-with-router');
});

afterAll(async () => {
  await stack?.stop();
  for (const fake of Object.values(fakes)) await fake.close();
  await slow?.close();
  await backends?.cleanup();
});

function chat(model: string, stream = false, signal?: AbortSignal): Promise<Response> {
  return fetch(`${stack.edgeUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hi' }] }),
    ...(signal ? { signal } : {}),
  });
}

async function ledgerRow(requestId: string) {
  await waitFor(async () => (await backends.sql.query('SELECT 1 FROM spend_logs WHERE request_id = $1', [requestId])).rows.length === 1, {
    timeoutMs: 20_000,
    message: `no usage row for ${requestId}`,
  });
  const rows = await backends.sql.query<{ status: string; error_code: string; completion_tokens: number }>(
    'SELECT status, error_code, completion_tokens FROM spend_logs WHERE request_id = $1',
    [requestId],
  );
  expect(rows.rows).toHaveLength(1);
  return rows.rows[0]!;
}

test('one process serves as edge and router: no separate router process runs', () => {
  expect(stack.services.router).toBe(stack.services.edge);
  expect(stack.services.edge.logs.some((line) => line.includes('"router ready"'))).toBe(true);
  expect(stack.services.edge.logs.some((line) => line.includes('"edge ready"'))).toBe(true);
});

describe('a client that goes away', () => {
  test('a client that goes away mid-stream stops the upstream call at once, and its usage is recorded once', async () => {
    const controller = new AbortController();
    const response = await chat('slow', true, controller.signal);
    expect(response.status).toBe(200);
    const requestId = response.headers.get('x-request-id')!;
    const reader = response.body!.getReader();
    let received = '';
    while (!received.includes('w2 ')) received += new TextDecoder().decode((await reader.read()).value);
    const abortedAt = Date.now();
    controller.abort();
    // The provider would have gone on for about 5 s; the gateway hangs up on it well before.
    expect(await slow.nextClose()).toBe(true);
    expect(Date.now() - abortedAt).toBeLessThan(2_000);
    const row = await ledgerRow(requestId);
    expect(row.error_code).toBe('client_closed');
    expect(row.completion_tokens).toBeGreaterThanOrEqual(3);
  });
});

describe('SIGTERM on the edge-with-router process', () => {
  test('streams in flight finish with [DONE], each usage row lands once, exit 0', async () => {
    const streams = await Promise.all(Array.from({ length: 5 }, () => chat('steady', true)));
    const signalled = stack.kill('edge', 'SIGTERM');
    const texts = await Promise.all(streams.map((response) => response.text()));
    for (const text of texts) expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(await signalled).toBe(0);
    for (const response of streams) expect((await ledgerRow(response.headers.get('x-request-id')!)).status).toBe('success');
    await stack.restart('edge');
    const after = await chat('steady');
    expect(after.status).toBe(200);
  });
});
