// The edge-with-router shape (the edge and the router in one process, completions called in process) under
// the faults the CompleteStream path is tested against: retries, a hang before the first token, a drop
// mid-stream, a client that goes away mid-stream (the upstream call must stop with it), and a SIGTERM with
// streams in flight. The walking skeleton runs its whole path in this shape as well.
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
const OK = (request: { body: unknown }): FakeResponse => ((request.body as { stream?: boolean }).stream ? { sse: STREAM } : { json: ANSWER });
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
  fakes.broken = await startFakeProvider(() => ({ status: 500, json: { error: { message: 'internal' } } }));
  fakes.hanging = await startFakeProvider(() => ({ hang: true }));
  fakes.dropping = await startFakeProvider(() => ({ sse: STREAM, dropAfter: 10, pieceDelayMs: 5 }));
  fakes.steady = await startFakeProvider((request) => ((request.body as { stream?: boolean }).stream ? { sse: STREAM, pieceDelayMs: 20 } : OK(request)));
  slow = await startSlowProvider();
  backends = await createTestBackends('together');
  const deployment = (name: string, apiBase: string, extra: Record<string, unknown> = {}) => ({
    model_name: name,
    litellm_params: { model: 'openai/gpt-4o-mini', api_base: `${apiBase}/v1`, api_key: 'sk-up', ...extra },
  });
  const config = writeConfigFile({
    model_list: [
      deployment('broken', fakes.broken.url),
      deployment('hanging', fakes.hanging.url, { stream_timeout: 1, timeout: 1 }),
      deployment('dropping', fakes.dropping.url),
      deployment('steady', fakes.steady.url),
      deployment('slow', slow.url),
    ],
    router_settings: { num_retries: 2, keep_alive_interval: 0.25 },
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

describe('faults on the in-process call path', () => {
  test('500s: a 502 after exactly 1 + num_retries attempts', async () => {
    const before = fakes.broken!.requests.length;
    const response = await chat('broken');
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('upstream_error');
    expect(fakes.broken!.requests.length - before).toBe(3);
  });

  test('a hang before the first token: keep-alive comments, then a timeout error event and no [DONE]', async () => {
    const response = await chat('hanging', true);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain(': keep-alive\n\n');
    const events = text.split('\n\n').filter((event) => event.startsWith('data: '));
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.slice('data: '.length))).toMatchObject({ error: { code: 'upstream_timeout' } });
    expect(text).not.toContain('[DONE]');
  });

  test('a hang on a non-streaming call is a 504 after its timeout', async () => {
    const response = await chat('hanging');
    expect(response.status).toBe(504);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('upstream_timeout');
  });

  test('a drop after 10 chunks: 10 chunks, an error event, and one partial usage row', async () => {
    const response = await chat('dropping', true);
    const requestId = response.headers.get('x-request-id')!;
    const events = (await response.text()).split('\n\n').filter(Boolean);
    expect(events.slice(0, 10)).toEqual(STREAM.slice(0, 10).map((payload) => `data: ${payload}`));
    expect(events).toHaveLength(11);
    expect(JSON.parse(events[10]!.slice('data: '.length))).toMatchObject({ error: { code: 'upstream_stream_error' } });
    expect(await ledgerRow(requestId)).toMatchObject({ status: 'failure', error_code: 'upstream_stream_error' });
  });

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
