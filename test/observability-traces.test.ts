// One request through the whole stack is one trace: the edge's server span (a child of the client's
// traceparent), policy's Authorize and the router's Complete under it, one span per upstream attempt
// under Complete (retries and fallbacks as siblings), and accounting's commit span. And with message
// logging off (the default), a canary string in a prompt or a response reaches no log line, no span and
// no metric.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createTestBackends,
  type FakeProvider,
  loadJsonFixture,
  type OtlpReceiver,
  type ReceivedSpan,
  type ServiceName,
  type Stack,
  startFakeProvider,
  startOtlpReceiver,
  startService,
  startStack,
  type TestBackends,
  writeConfigFile,
} from '@sluice/testing';
import { waitFor } from './helpers/wait-for.js';

const MASTER_KEY = 'sk-traces-master';
const PROMPT_CANARY = 'CANARY-prompt-5d1e8b2f';
const RESPONSE_CANARY = 'CANARY-response-a94c03e7';
const CLIENT_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CLIENT_SPAN = 'b7ad6b7169203331';

interface ChatFixture {
  choices: Array<{ message: { content: string } }>;
}
const recorded = loadJsonFixture<ChatFixture & Record<string, unknown>>('vercel-ai', 'openai__chat__openai-text');

let fake: FakeProvider;
let receiver: OtlpReceiver;
let backends: TestBackends;
let stack: Stack;
/** Upstream calls still to fail with a 503 (the next ones to arrive). */
let failuresLeft = 0;

function model(request: { body: unknown }): string {
  return (request.body as { model?: string } | undefined)?.model ?? '';
}

function configWith(litellmSettings: Record<string, unknown>): string {
  return writeConfigFile({
    model_list: [
      { model_name: 'gpt-test', litellm_params: { model: 'openai/gpt-4.1-nano', api_base: `${fake.url}/v1`, api_key: 'sk-up' } },
      // Two deployments: a failed attempt is retried on the other one at once.
      { model_name: 'flaky', litellm_params: { model: 'openai/flaky-a', api_base: `${fake.url}/v1`, api_key: 'sk-up' } },
      { model_name: 'flaky', litellm_params: { model: 'openai/flaky-b', api_base: `${fake.url}/v1`, api_key: 'sk-up' } },
      { model_name: 'broken', litellm_params: { model: 'openai/broken', api_base: `${fake.url}/v1`, api_key: 'sk-up' } },
    ],
    router_settings: { num_retries: 1, fallbacks: [{ broken: ['gpt-test'] }] },
    litellm_settings: litellmSettings,
    general_settings: { master_key: MASTER_KEY },
  });
}

beforeAll(async () => {
  fake = await startFakeProvider((request) => {
    if (model(request) === 'broken') return { status: 500, json: { error: { message: 'down', type: 'server_error' } } };
    if (model(request).startsWith('flaky') && failuresLeft > 0) {
      failuresLeft -= 1;
      return { status: 503, json: { error: { message: 'overloaded', type: 'server_error' } } };
    }
    const json = structuredClone(recorded);
    json.choices[0]!.message.content = `A holiday. ${RESPONSE_CANARY}`;
    return { json };
  });
  receiver = await startOtlpReceiver();
  backends = await createTestBackends('traces');
  stack = await startStack({
    ...backends.env,
    SLUICE_CONFIG: configWith({}),
    SLUICE_LEDGER_BATCH_WAIT_MS: '100',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    LOG_LEVEL: 'debug',
  });
});

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
  await fake?.close();
  await backends?.cleanup();
});

async function chat(modelName: string, content: string, edgeUrl = stack.edgeUrl): Promise<string> {
  const response = await fetch(`${edgeUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${MASTER_KEY}`,
      'content-type': 'application/json',
      traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`,
    },
    body: JSON.stringify({ model: modelName, messages: [{ role: 'user', content }] }),
  });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return response.headers.get('x-request-id')!;
}

/** The spans of one request (its edge span and everything under it), once all of them are in. */
async function spansOf(requestId: string, attempts: number): Promise<ReceivedSpan[]> {
  let mine: ReceivedSpan[] = [];
  await waitFor(
    () => {
      const edge = receiver.spans.find((span) => span.attributes['sluice.request_id'] === requestId && span.service === 'sluice-edge');
      if (!edge) return false;
      mine = [edge];
      for (let index = 0; index < mine.length; index += 1) {
        const parent = mine[index]!;
        mine.push(...receiver.spans.filter((span) => span.traceId === parent.traceId && span.parentSpanId === parent.spanId));
      }
      const complete = mine.find((span) => span.name === 'Complete');
      return (
        complete !== undefined &&
        mine.filter((span) => span.parentSpanId === complete.spanId).length === attempts &&
        mine.some((span) => span.service === 'sluice-policy') &&
        mine.some((span) => span.service === 'sluice-accounting')
      );
    },
    { timeoutMs: 20_000, intervalMs: 100, message: `spans of ${requestId} did not all arrive` },
  );
  return mine;
}

describe('one trace per request', () => {
  test('spans from all four services, parented correctly, under the client traceparent', async () => {
    const requestId = await chat('gpt-test', 'Invent a holiday');
    const spans = await spansOf(requestId, 1);
    expect(spans).toHaveLength(5);
    const edge = spans.find((span) => span.service === 'sluice-edge')!;
    const policy = spans.find((span) => span.service === 'sluice-policy')!;
    const complete = spans.find((span) => span.service === 'sluice-router' && span.name === 'Complete')!;
    const attempt = spans.find((span) => span.service === 'sluice-router' && span.parentSpanId === complete.spanId)!;
    const accounting = spans.find((span) => span.service === 'sluice-accounting')!;

    for (const span of [edge, policy, complete, attempt, accounting]) expect(span.traceId).toBe(CLIENT_TRACE);
    expect(edge.parentSpanId).toBe(CLIENT_SPAN);
    expect(edge.name).toBe('POST /v1/chat/completions');
    expect(policy.name).toBe('Authorize');
    expect(policy.parentSpanId).toBe(edge.spanId);
    expect(complete.parentSpanId).toBe(edge.spanId);
    expect(accounting.parentSpanId).toBe(edge.spanId);
    expect(policy.attributes['sluice.policy.result']).toBe('allowed');

    // GenAI semantic conventions on the edge span and the attempt.
    expect(edge.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-test',
      'gen_ai.response.model': 'gpt-4.1-nano',
      'gen_ai.provider.name': 'openai',
      'gen_ai.usage.input_tokens': expect.any(Number),
      'gen_ai.usage.output_tokens': expect.any(Number),
      'gen_ai.response.finish_reasons': ['stop'],
      'http.response.status_code': 200,
    });
    expect(attempt.name).toBe('chat gpt-4.1-nano');
    expect(attempt.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4.1-nano',
      'sluice.attempt': 1,
      'sluice.outcome': 'success',
      'sluice.time_to_first_token_ms': expect.any(Number),
    });
    expect(edge.attributes['gen_ai.usage.output_tokens']).toBe(attempt.attributes['gen_ai.usage.output_tokens']);
    expect(accounting.attributes['gen_ai.usage.output_tokens']).toBe(edge.attributes['gen_ai.usage.output_tokens']);
    expect(attempt.endNanos > attempt.startNanos).toBe(true);
  });

  test('a retry is a sibling attempt span, the failed one marked as an error', async () => {
    failuresLeft = 1;
    const requestId = await chat('flaky', 'Invent a holiday');
    const spans = await spansOf(requestId, 2);
    const complete = spans.find((span) => span.name === 'Complete')!;
    const attempts = spans.filter((span) => span.parentSpanId === complete.spanId).sort((a, b) => Number(a.startNanos - b.startNanos));
    expect(attempts.map((span) => span.attributes['sluice.attempt'])).toEqual([1, 2]);
    expect(attempts[0]!.statusCode).toBe(2);
    expect(attempts[0]!.attributes['sluice.outcome']).toMatch(/^upstream_/);
    expect(attempts[0]!.attributes['error.type']).toBe(attempts[0]!.attributes['sluice.outcome']);
    expect(attempts[1]!.attributes['sluice.outcome']).toBe('success');
    // The retry went to the other deployment of the group.
    expect(new Set(attempts.map((span) => span.attributes['sluice.deployment_id'])).size).toBe(2);
    expect(attempts.every((span) => span.attributes['sluice.fallback'] === false)).toBe(true);
  });

  test('a fallback is an attempt on the fallback group, beside the failed ones', async () => {
    const requestId = await chat('broken', 'Invent a holiday');
    const spans = await spansOf(requestId, 3);
    const complete = spans.find((span) => span.name === 'Complete')!;
    const attempts = spans.filter((span) => span.parentSpanId === complete.spanId).sort((a, b) => Number(a.startNanos - b.startNanos));
    expect(attempts.map((span) => [span.attributes['sluice.model_group'], span.attributes['sluice.fallback'], span.attributes['sluice.outcome']])).toEqual([
      ['broken', false, 'upstream_error'],
      ['broken', false, 'upstream_error'],
      ['gpt-test', true, 'success'],
    ]);
    expect(complete.attributes['gen_ai.response.model']).toBe('gpt-4.1-nano');
  });
});

describe('message logging off: a canary in a prompt or a response goes nowhere', () => {
  test('no log line, span or metric of any service carries it', async () => {
    const requestId = await chat('gpt-test', `Invent a holiday. ${PROMPT_CANARY}`);
    await spansOf(requestId, 1);
    const services: ServiceName[] = ['edge', 'policy', 'router', 'accounting'];
    const metrics = await Promise.all(
      services.map((name) => {
        const url = `http://127.0.0.1:${stack.services[name].ports.http}/metrics`;
        return fetch(url).then((response) => response.text());
      }),
    );
    const haystacks = [...services.flatMap((name) => stack.services[name].logs), ...receiver.bodies, ...metrics];
    // The request did reach every sink searched.
    expect(haystacks.some((text) => text.includes(requestId))).toBe(true);
    expect(metrics.every((text) => text.includes('# TYPE'))).toBe(true);
    for (const canary of [PROMPT_CANARY, RESPONSE_CANARY]) {
      expect(haystacks.filter((text) => text.includes(canary))).toEqual([]);
    }
  });

  test('with turn_off_message_logging: false the same search finds it on the span (the search works)', async () => {
    const edge = await startService('edge', {
      ...stack.envOf('edge'),
      SLUICE_EDGE_PORT: '0',
      SLUICE_EDGE_METRICS_PORT: '0',
      SLUICE_CONFIG: configWith({ turn_off_message_logging: false }),
    });
    try {
      const requestId = await chat('gpt-test', `Invent a holiday. ${PROMPT_CANARY}`, `http://127.0.0.1:${edge.ports.edge}`);
      const spans = await spansOf(requestId, 1);
      const span = spans.find((candidate) => candidate.service === 'sluice-edge')!;
      expect(String(span.attributes['gen_ai.input.messages'])).toContain(PROMPT_CANARY);
      expect(String(span.attributes['gen_ai.output.messages'])).toContain(RESPONSE_CANARY);
      // Still never in a log line: message logging puts contents on spans, not in the request log.
      expect(edge.logs.filter((line) => line.includes(PROMPT_CANARY))).toEqual([]);
    } finally {
      edge.child.kill('SIGTERM');
      await edge.exited;
    }
  });
});
