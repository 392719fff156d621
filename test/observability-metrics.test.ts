// /metrics of every service parses as Prometheus text, and its counters move by exactly what a known
// sequence of requests should move them by: successes, a 429, a budget denial, a fallback and an unknown
// model. Labels stay bounded: no request id, no key, no model name a client made up.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createTestBackends,
  type FakeProvider,
  type PrometheusFamily,
  replayOpenAiFixture,
  sampleValue,
  scrapeMetrics,
  type Stack,
  startFakeProvider,
  startStack,
  type TestBackends,
  writeConfigFile,
} from '@sluice/testing';
import { waitFor } from './helpers/wait-for.js';

const MASTER_KEY = 'sk-metrics-master';
const FIXTURE = 'openai__chat__openai-text';
/** What the recording reports for a non-streaming answer. */
const RECORDED_USAGE = { prompt: 16, completion: 363 };
/** gpt-test's price, micro-USD per token. */
const PRICE = { input: 10, output: 100 };
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

type Families = Map<string, PrometheusFamily>;
type ServiceName = 'edge' | 'policy' | 'router' | 'accounting';

let fake: FakeProvider;
let backends: TestBackends;
let stack: Stack;

beforeAll(async () => {
  const replay = replayOpenAiFixture(FIXTURE);
  fake = await startFakeProvider((request, index) => {
    if ((request.body as { model?: string }).model === 'broken') return { status: 500, json: { error: { message: 'down', type: 'server_error' } } };
    return replay(request, index);
  });
  backends = await createTestBackends('metrics');
  const config = writeConfigFile({
    model_list: [
      {
        model_name: 'gpt-test',
        litellm_params: {
          model: 'openai/gpt-4.1-nano',
          api_base: `${fake.url}/v1`,
          api_key: 'sk-up',
          input_cost_per_token: PRICE.input / 1_000_000,
          output_cost_per_token: PRICE.output / 1_000_000,
        },
      },
      { model_name: 'broken', litellm_params: { model: 'openai/broken', api_base: `${fake.url}/v1`, api_key: 'sk-up' } },
    ],
    router_settings: { num_retries: 0, fallbacks: [{ broken: ['gpt-test'] }] },
    general_settings: { master_key: MASTER_KEY },
  });
  stack = await startStack({ ...backends.env, SLUICE_CONFIG: config, SLUICE_LEDGER_BATCH_WAIT_MS: '100' });
});

afterAll(async () => {
  await stack?.stop();
  await fake?.close();
  await backends?.cleanup();
});

/** Every service, the edge included, serves /metrics on its side port only. */
function metricsUrl(name: ServiceName): string {
  return `http://127.0.0.1:${stack.services[name].ports.http}/metrics`;
}

async function scrapeAll(): Promise<Record<ServiceName, Families>> {
  const names: ServiceName[] = ['edge', 'policy', 'router', 'accounting'];
  const scraped = await Promise.all(names.map((name) => scrapeMetrics(metricsUrl(name))));
  return Object.fromEntries(names.map((name, index) => [name, scraped[index]!])) as Record<ServiceName, Families>;
}

async function post(path: string, body: unknown, key = MASTER_KEY, headers: Record<string, string> = {}) {
  const response = await fetch(`${stack.edgeUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, requestId: response.headers.get('x-request-id') ?? '', body: (await response.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const chat = (key: string, model = 'gpt-test', headers: Record<string, string> = {}) =>
  post('/v1/chat/completions', { model, messages: [{ role: 'user', content: 'Invent a holiday' }] }, key, headers);

describe('Prometheus metrics of every service', () => {
  test('a known sequence moves each counter by exactly its share', async () => {
    const limited = (await post('/key/generate', { key_alias: 'alias-rpm', rpm_limit: 1 })).body as { key: string };
    const poor = (await post('/key/generate', { key_alias: 'alias-budget', max_budget: 0.000001 })).body as { key: string };
    const before = await scrapeAll();

    const replies = [
      await chat(MASTER_KEY),
      await chat(limited.key, 'gpt-test', { traceparent: `00-${TRACE}-00f067aa0ba902b7-01` }),
      await chat(limited.key),
      await chat(poor.key),
      await chat(MASTER_KEY, 'broken'),
      await chat(MASTER_KEY, 'no-such-model'),
    ];
    expect(replies.map((reply) => reply.status)).toEqual([200, 200, 429, 400, 200, 404]);
    expect(replies[3]!.body.error.code).toBe('budget_exceeded');

    // The three answered requests reach the ledger.
    await waitFor(async () => sampleValue((await scrapeAll()).accounting, 'sluice_ledger_events_total', { result: 'inserted' }) - sampleValue(before.accounting, 'sluice_ledger_events_total', { result: 'inserted' }) >= 4, {
      timeoutMs: 20_000,
      message: 'usage did not reach the ledger',
    });
    const after = await scrapeAll();
    const delta = (service: ServiceName, name: string, labels: Record<string, string> = {}) =>
      sampleValue(after[service], name, labels) - sampleValue(before[service], name, labels);
    const route = { route: '/v1/chat/completions' };

    // Edge: requests by status and error code, latency and overhead histograms, tokens and spend.
    expect(delta('edge', 'sluice_requests_total', route)).toBe(6);
    expect(delta('edge', 'sluice_requests_total', { ...route, model_group: 'gpt-test', status: '200', error_code: '' })).toBe(2);
    expect(delta('edge', 'sluice_requests_total', { ...route, model_group: 'broken', status: '200' })).toBe(1);
    expect(delta('edge', 'sluice_requests_total', { ...route, status: '429', error_code: 'rate_limit_requests' })).toBe(1);
    expect(delta('edge', 'sluice_requests_total', { ...route, status: '400', error_code: 'budget_exceeded' })).toBe(1);
    // A model name nobody configured is "other", never the client's string.
    expect(delta('edge', 'sluice_requests_total', { ...route, model_group: 'other', status: '404', error_code: 'model_not_found' })).toBe(1);
    expect(delta('edge', 'sluice_request_duration_seconds_count', route)).toBe(6);
    expect(delta('edge', 'sluice_overhead_seconds_count', route)).toBe(6);
    expect(delta('edge', 'sluice_time_to_first_token_seconds_count')).toBe(3);
    expect(delta('edge', 'sluice_tokens_total', { key_alias: 'alias-rpm', direction: 'input' })).toBe(RECORDED_USAGE.prompt);
    expect(delta('edge', 'sluice_tokens_total', { key_alias: 'alias-rpm', direction: 'output' })).toBe(RECORDED_USAGE.completion);
    expect(delta('edge', 'sluice_tokens_total', { direction: 'output' })).toBe(3 * RECORDED_USAGE.completion);
    const callCost = (RECORDED_USAGE.prompt * PRICE.input + RECORDED_USAGE.completion * PRICE.output) / 1e6;
    expect(delta('edge', 'sluice_spend_usd_total', { key_alias: 'alias-rpm', model_group: 'gpt-test' })).toBeCloseTo(callCost, 9);

    // Policy: one decision per request, by result; the budget and limit gauges of the scopes used.
    expect(delta('policy', 'sluice_policy_decisions_total', { result: 'allowed' })).toBe(4);
    expect(delta('policy', 'sluice_policy_decisions_total', { result: 'rpm' })).toBe(1);
    expect(delta('policy', 'sluice_policy_decisions_total', { result: 'budget' })).toBe(1);
    expect(delta('policy', 'sluice_policy_decisions_total', { result: 'tpm' })).toBe(0);
    expect(delta('policy', 'sluice_policy_decision_duration_seconds_count')).toBe(6);
    expect(sampleValue(after.policy, 'sluice_budget_limit_usd', { scope_type: 'key', scope: 'alias-budget' })).toBe(0.000001);
    expect(sampleValue(after.policy, 'sluice_budget_remaining_usd', { scope_type: 'key', scope: 'alias-budget' })).toBe(0.000001);
    expect(sampleValue(after.policy, 'sluice_rate_limit', { scope: 'alias-rpm', kind: 'requests' })).toBe(1);
    expect(sampleValue(after.policy, 'sluice_rate_limit_remaining', { scope: 'alias-rpm', kind: 'requests' })).toBe(0);
    // The master key reserves nothing; each of the three key requests reserves once (more if it seeds spend).
    expect(delta('policy', 'sluice_redis_call_duration_seconds_count', { operation: 'reserve' })).toBeGreaterThanOrEqual(3);
    expect(delta('policy', 'sluice_redis_call_failures_total')).toBe(0);

    // Router: per-deployment outcomes and the fallback.
    expect(delta('router', 'sluice_deployment_attempts_total', { model_group: 'gpt-test', outcome: 'success' })).toBe(3);
    expect(delta('router', 'sluice_deployment_attempts_total', { model_group: 'broken', outcome: 'upstream_error' })).toBe(1);
    expect(delta('router', 'sluice_fallbacks_total', { from_model_group: 'broken', to_model_group: 'gpt-test' })).toBe(1);
    expect(delta('router', 'sluice_deployment_latency_seconds_count', { model_group: 'gpt-test' })).toBe(3);
    expect(sampleValue(after.router, 'sluice_deployment_cooling_down', { model_group: 'broken' })).toBe(0);

    // Accounting: the four usage events (the 404 is one too) committed once each; lag is readable.
    expect(delta('accounting', 'sluice_ledger_events_total', { result: 'inserted' })).toBe(4);
    expect(delta('accounting', 'sluice_ledger_events_total', { result: 'duplicate' })).toBe(0);
    expect(after.accounting.get('sluice_usage_consumer_pending_messages')?.samples).toHaveLength(1);
    expect(delta('accounting', 'sluice_postgres_call_duration_seconds_count', { operation: 'transaction' })).toBeGreaterThan(0);

    // Process families everywhere.
    for (const service of Object.values(after)) {
      expect(sampleValue(service, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      expect(service.get('nodejs_eventloop_lag_p99_seconds')?.type).toBe('gauge');
    }

    // Bounded labels: no request id and no key anywhere.
    const values = Object.values(after).flatMap((families) => [...families.values()].flatMap((family) => family.samples.flatMap((sample) => Object.values(sample.labels))));
    for (const reply of replies) expect(values).not.toContain(reply.requestId);
    for (const key of [MASTER_KEY, limited.key, poor.key]) expect(values.some((value) => value.includes(key))).toBe(false);

    // One log line per request: request id, trace id, key alias, model, status, tokens, overhead; never the key.
    const lines = stack.services.edge.logs
      .filter((line) => line.includes('"msg":"request"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const lineOf = (requestId: string) => lines.filter((line) => line.requestId === requestId);
    for (const reply of replies) expect(lineOf(reply.requestId)).toHaveLength(1);
    expect(lineOf(replies[1]!.requestId)[0]).toMatchObject({
      traceId: TRACE,
      keyAlias: 'alias-rpm',
      model: 'gpt-test',
      status: 200,
      promptTokens: RECORDED_USAGE.prompt,
      completionTokens: RECORDED_USAGE.completion,
      overheadMs: expect.any(Number),
    });
    expect(lineOf(replies[2]!.requestId)[0]).toMatchObject({ keyAlias: 'alias-rpm', status: 429, errorCode: 'rate_limit_requests' });
    expect(stack.services.edge.logs.some((line) => line.includes(limited.key) || line.includes(MASTER_KEY))).toBe(false);
  });

  test('probes and scrapes are not requests: no metrics, no log lines', async () => {
    const before = await scrapeMetrics(metricsUrl('edge'));
    const logged = stack.services.edge.logs.length;
    const side = `http://127.0.0.1:${stack.services.edge.ports.http}`;
    for (let index = 0; index < 3; index += 1) {
      expect((await fetch(`${stack.edgeUrl}/health/liveliness`)).status).toBe(200);
      expect((await fetch(`${stack.edgeUrl}/health/readiness`)).status).toBe(200);
      expect((await fetch(`${side}/health/liveliness`)).status).toBe(200);
      expect((await fetch(`${side}/health/readiness`)).status).toBe(200);
      await fetch(metricsUrl('edge')).then((response) => response.text());
    }
    const after = await scrapeMetrics(metricsUrl('edge'));
    expect(sampleValue(after, 'sluice_requests_total') - sampleValue(before, 'sluice_requests_total')).toBe(0);
    expect(stack.services.edge.logs.slice(logged).filter((line) => line.includes('"msg":"request"'))).toEqual([]);
  });

  test('the API port does not serve metrics (they name key aliases and teams); the side port serves nothing else', async () => {
    const publicScrape = await fetch(`${stack.edgeUrl}/metrics`);
    expect(publicScrape.status).toBe(404);
    expect(publicScrape.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await publicScrape.text();
    expect(JSON.parse(text)).toEqual({
      error: { message: 'Unknown route: GET /metrics', type: 'invalid_request_error', param: null, code: 'not_found' },
    });
    expect(text).not.toContain('sluice_');
    // Nor under another spelling a proxy might pass through.
    for (const path of ['/metrics/', '/metrics?format=prometheus', '/METRICS']) {
      const response = await fetch(`${stack.edgeUrl}${path}`);
      expect(response.status, path).toBe(404);
      expect(await response.text(), path).not.toContain('sluice_');
    }
    // The side port has the metrics the API port used to carry, and none of the API.
    const side = `http://127.0.0.1:${stack.services.edge.ports.http}`;
    expect(stack.services.edge.ports.http).not.toBe(stack.services.edge.ports.edge);
    const scraped = await fetch(`${side}/metrics`);
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toContain('text/plain');
    expect(await scraped.text()).toContain('# TYPE sluice_requests_total counter');
    const models = await fetch(`${side}/v1/models`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
    expect(models.status).toBe(404);
  });
});
