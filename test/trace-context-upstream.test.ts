// The call to the provider carries W3C trace context, so a self-hosted server that traces joins the
// request's trace: with tracing off, the client's traceparent as it came in; with tracing on, the
// router's attempt span (a descendant of the client's span), one per attempt.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createTestBackends,
  type FakeProvider,
  loadJsonFixture,
  type OtlpReceiver,
  type RecordedRequest,
  type Responder,
  type Stack,
  startFakeProvider,
  startOtlpReceiver,
  startStack,
  type TestBackends,
  writeConfigFile,
} from '@sluice/testing';
import { waitFor } from './helpers/wait-for.js';

const MASTER_KEY = 'sk-trace-upstream-master';
const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const CLIENT_TRACEPARENT = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`;
const recorded = loadJsonFixture<Record<string, unknown>>('vercel-ai', 'openai__chat__openai-text');

let fake: FakeProvider;
let receiver: OtlpReceiver;
let backends: TestBackends;
let untraced: Stack;
let traced: Stack;
let failuresLeft = 0;

function configFile(): string {
  return writeConfigFile({
    model_list: [
      { model_name: 'gpt-test', litellm_params: { model: 'openai/gpt-4.1-nano', api_base: `${fake.url}/v1`, api_key: 'sk-up' } },
      { model_name: 'flaky', litellm_params: { model: 'openai/flaky-a', api_base: `${fake.url}/v1`, api_key: 'sk-up' } },
      { model_name: 'flaky', litellm_params: { model: 'openai/flaky-b', api_base: `${fake.url}/v1`, api_key: 'sk-up' } },
    ],
    router_settings: { num_retries: 1 },
    general_settings: { master_key: MASTER_KEY },
  });
}

const answer: Responder = (request) => {
  const model = (request.body as { model?: string } | undefined)?.model ?? '';
  if (model.startsWith('flaky') && failuresLeft > 0) {
    failuresLeft -= 1;
    return { status: 503, json: { error: { message: 'overloaded', type: 'server_error' } } };
  }
  return { json: recorded };
};

beforeAll(async () => {
  fake = await startFakeProvider(answer);
  receiver = await startOtlpReceiver();
  backends = await createTestBackends('traceup');
  const env = { ...backends.env, SLUICE_CONFIG: configFile() };
  [untraced, traced] = await Promise.all([
    startStack(env),
    startStack({ ...env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100' }),
  ]);
});

afterAll(async () => {
  await Promise.all([untraced?.stop(), traced?.stop()]);
  await receiver?.close();
  await fake?.close();
  await backends?.cleanup();
});

/** Sends one chat request and returns the upstream requests it caused. */
async function chat(stack: Stack, model: string, traceparent?: string, stream = false): Promise<{ requestId: string; upstream: RecordedRequest[] }> {
  const before = fake.requests.length;
  const headers: Record<string, string> = { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' };
  if (traceparent) headers.traceparent = traceparent;
  const response = await fetch(`${stack.edgeUrl}/v1/chat/completions`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'Invent a holiday' }] }),
  });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return { requestId: response.headers.get('x-request-id')!, upstream: fake.requests.slice(before) };
}

describe('tracing off', () => {
  test("the provider gets the client's traceparent unchanged", async () => {
    const { upstream } = await chat(untraced, 'gpt-test', CLIENT_TRACEPARENT);
    expect(upstream).toHaveLength(1);
    expect(upstream[0]!.headers.traceparent).toBe(CLIENT_TRACEPARENT);
  });

  test('a streamed request carries it too', async () => {
    fake.respondWith(() => ({ sse: [JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: 'stop' }] })] }));
    try {
      const { upstream } = await chat(untraced, 'gpt-test', CLIENT_TRACEPARENT, true);
      expect(upstream[0]!.headers.traceparent).toBe(CLIENT_TRACEPARENT);
    } finally {
      fake.respondWith(answer);
    }
  });

  test('no traceparent from the client and none of our own: no header, and an invalid one is not passed on', async () => {
    const none = await chat(untraced, 'gpt-test');
    expect(none.upstream[0]!.headers.traceparent).toBeUndefined();
    const invalid = await chat(untraced, 'gpt-test', `00-${'0'.repeat(32)}-${CLIENT_SPAN}-01`);
    expect(invalid.upstream[0]!.headers.traceparent).toBeUndefined();
  });
});

describe('tracing on', () => {
  test("the provider's parent is the router's attempt span, in the client's trace", async () => {
    const { requestId, upstream } = await chat(traced, 'gpt-test', CLIENT_TRACEPARENT);
    const sent = String(upstream[0]!.headers.traceparent);
    const [, traceId, parentSpanId, flags] = sent.split('-');
    expect(traceId).toBe(CLIENT_TRACE);
    expect(flags).toBe('01');
    let attemptSpanId = '';
    await waitFor(
      () => {
        const complete = receiver.spans.find((span) => span.name === 'Complete' && span.attributes['sluice.request_id'] === requestId);
        const attempt = complete && receiver.spans.find((span) => span.parentSpanId === complete.spanId);
        attemptSpanId = attempt?.spanId ?? '';
        return attemptSpanId !== '';
      },
      { timeoutMs: 20_000, intervalMs: 100, message: 'the attempt span did not arrive' },
    );
    expect(parentSpanId).toBe(attemptSpanId);
  });

  test('each attempt of a retried request sends its own span', async () => {
    failuresLeft = 1;
    const { upstream } = await chat(traced, 'flaky', CLIENT_TRACEPARENT);
    expect(upstream).toHaveLength(2);
    const sent = upstream.map((request) => String(request.headers.traceparent).split('-'));
    expect(sent.every((parts) => parts[1] === CLIENT_TRACE)).toBe(true);
    expect(sent[0]![2]).not.toBe(sent[1]![2]);
  });

  test("without a client traceparent the gateway's own trace is sent", async () => {
    const { upstream } = await chat(traced, 'gpt-test');
    const sent = String(upstream[0]!.headers.traceparent);
    expect(sent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(sent.split('-')[1]).not.toBe(CLIENT_TRACE);
  });
});
