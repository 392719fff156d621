// Live reload (issue 21) on the real stack: the config file and the provider key live in volumes that are
// updated the way the kubelet updates a ConfigMap and a Secret (a new directory, then the ..data symlink
// swapped). Under a steady load, a model is added and another one's api_base changed with no failed
// request and no restart; a rotated key file reaches the very next upstream call; a bad config is refused
// by every service with one log line and a metric, and the running config keeps serving.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createTestBackends,
  type FakeProvider,
  ProjectedVolume,
  replayOpenAiFixture,
  type RecordedRequest,
  sampleValue,
  scrapeMetrics,
  type ServiceName,
  type Stack,
  startFakeProvider,
  startStack,
  type TestBackends,
} from '@sluice/testing';
import { waitFor } from './helpers/wait-for.js';

const MASTER_KEY = 'sk-live-reload-master';
const FIXTURE = 'openai__chat__openai-text';
const SERVICES: ServiceName[] = ['edge', 'policy', 'router', 'accounting'];
/** A request with this text waits upstream long enough to be in flight across a reload. */
const SLOW = 'slow request';

let providerA: FakeProvider;
let providerB: FakeProvider;
let backends: TestBackends;
let secrets: ProjectedVolume;
let volume: ProjectedVolume;
let stack: Stack;

function configWith(models: Array<{ name: string; provider: FakeProvider }>, generalSettings: Record<string, unknown> = {}): string {
  return JSON.stringify({
    model_list: models.map(({ name, provider }) => ({
      model_name: name,
      litellm_params: { model: 'openai/gpt-4.1-nano', api_base: `${provider.url}/v1`, api_key: `os.file/${secrets.path('openai-key')}`, input_cost_per_token: 0, output_cost_per_token: 0 },
    })),
    general_settings: { master_key: MASTER_KEY, ...generalSettings },
  });
}

const replay = replayOpenAiFixture(FIXTURE);
const slowWhenAsked = (request: RecordedRequest, index: number) => {
  const asked = JSON.stringify(request.body ?? '').includes(SLOW);
  return Promise.resolve(replay(request, index)).then((plan) => (asked ? { ...plan, delayMs: 1_500 } : plan));
};

/** How many lines a service logged with this message (JSON logs). */
function logged(service: ServiceName, message: string): number {
  return stack.services[service].logs.filter((line) => line.includes(`"msg":"${message}`)).length;
}

async function chat(model: string, options: { stream?: boolean; content?: string } = {}): Promise<{ status: number; text: string }> {
  const response = await fetch(`${stack.edgeUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream: options.stream === true, messages: [{ role: 'user', content: options.content ?? 'Invent a holiday' }] }),
  });
  return { status: response.status, text: await response.text() };
}

/** A whole answer: 200, and for a stream every event through [DONE] with no error event. */
function answered(reply: { status: number; text: string }, stream: boolean): boolean {
  if (reply.status !== 200) return false;
  if (!stream) return (JSON.parse(reply.text) as { choices?: unknown[] }).choices?.length === 1;
  return reply.text.trimEnd().endsWith('data: [DONE]') && !reply.text.includes('"error"');
}

const upstreamCalls = (provider: FakeProvider) => provider.requests.filter((request) => request.path.endsWith('/chat/completions')).length;

beforeAll(async () => {
  providerA = await startFakeProvider(slowWhenAsked);
  providerB = await startFakeProvider(slowWhenAsked);
  backends = await createTestBackends('livereload');
  secrets = new ProjectedVolume({ 'openai-key': 'sk-upstream-first\n' });
  volume = new ProjectedVolume({ 'config.yaml': configWith([{ name: 'steady', provider: providerA }]) });
  stack = await startStack({ ...backends.env, SLUICE_CONFIG: volume.path('config.yaml'), SLUICE_LEDGER_BATCH_WAIT_MS: '100' });
});

afterAll(async () => {
  await stack?.stop();
  await Promise.all([providerA?.close(), providerB?.close()]);
  await backends?.cleanup();
  secrets?.remove();
  volume?.remove();
});

describe('live config reload', () => {
  test('under a steady load, a model is added and another moved to a new api_base with zero failed requests', async () => {
    expect((await chat('added')).status).toBe(404);
    let running = true;
    const results = { ok: 0, failed: [] as string[] };
    const worker = async (index: number) => {
      for (let round = 0; running; round += 1) {
        const stream = (index + round) % 2 === 0;
        const reply = await chat('steady', { stream }).catch((error: unknown) => ({ status: 0, text: String(error) }));
        if (answered(reply, stream)) results.ok += 1;
        else results.failed.push(`${reply.status} ${reply.text.slice(0, 200)}`);
      }
    };
    const workers = [0, 1, 2, 3].map((index) => worker(index));
    await waitFor(() => results.ok >= 40, { timeoutMs: 20_000, message: 'the load did not get going' });
    // In flight on provider A while the config changes: it must finish there, on the config it started with.
    const slow = chat('steady', { stream: true, content: SLOW });
    await waitFor(() => providerA.requests.some((request) => JSON.stringify(request.body).includes(SLOW)), { message: 'the slow request did not start' });
    const reloadsBefore = SERVICES.map((service) => logged(service, 'config reloaded'));
    const callsOnBBefore = upstreamCalls(providerB);

    volume.update({ 'config.yaml': configWith([{ name: 'steady', provider: providerB }, { name: 'added', provider: providerB }]) });
    await waitFor(() => SERVICES.every((service, index) => logged(service, 'config reloaded') === reloadsBefore[index]! + 1), {
      timeoutMs: 10_000,
      message: 'not every service reloaded',
    });
    const okAtSwap = results.ok;
    await waitFor(() => results.ok >= okAtSwap + 40, { timeoutMs: 20_000, message: 'the load stalled after the reload' });
    running = false;
    await Promise.all(workers);

    expect(results.failed).toEqual([]);
    expect(answered(await slow, true)).toBe(true);
    // After the swap the steady model is served by provider B (and the added one answers at once).
    expect(upstreamCalls(providerB) - callsOnBBefore).toBeGreaterThanOrEqual(40);
    const added = await chat('added');
    expect(added.status).toBe(200);
    const aCalls = upstreamCalls(providerA);
    expect(answered(await chat('steady'), false)).toBe(true);
    expect(upstreamCalls(providerA)).toBe(aCalls);
    // No service restarted.
    for (const service of SERVICES) expect(stack.services[service].child.exitCode).toBeNull();
  });

  test('a rotated key file (os.file/) is on the very next upstream call', async () => {
    const before = logged('router', 'config reloaded');
    expect(providerB.requests.at(-1)!.headers.authorization).toBe('Bearer sk-upstream-first');
    secrets.update({ 'openai-key': 'sk-upstream-second\n' });
    await waitFor(() => logged('router', 'config reloaded') === before + 1, { timeoutMs: 10_000, message: 'the router did not reload' });
    expect((await chat('steady')).status).toBe(200);
    expect(providerB.requests.at(-1)!.headers.authorization).toBe('Bearer sk-upstream-second');
    // The key is in no log line of any service.
    for (const service of SERVICES) expect(stack.services[service].logs.join('\n')).not.toContain('sk-upstream-second');
  });

  test('a bad config is refused by every service with one log line and a metric; the running one keeps serving', async () => {
    const routerMetrics = `http://127.0.0.1:${stack.services.router.ports.http}/metrics`;
    const before = await scrapeMetrics(routerMetrics);
    const lastSuccess = sampleValue(before, 'sluice_config_last_reload_success_timestamp_seconds');
    expect(sampleValue(before, 'sluice_config_reload_total', { result: 'applied' })).toBe(2);
    expect(sampleValue(before, 'sluice_config_reload_total', { result: 'refused' })).toBe(0);

    volume.update({ 'config.yaml': JSON.stringify({ model_list: [{ model_name: 'steady' }], general_settings: { master_key: MASTER_KEY } }) });
    await waitFor(() => SERVICES.every((service) => logged(service, 'config reload refused') === 1), { timeoutMs: 10_000, message: 'not every service refused' });
    const line = stack.services.router.logs.find((text) => text.includes('config reload refused'))!;
    expect(JSON.parse(line).error).toContain('model_list[0].litellm_params');
    const after = await scrapeMetrics(routerMetrics);
    expect(sampleValue(after, 'sluice_config_reload_total', { result: 'refused' })).toBe(1);
    expect(sampleValue(after, 'sluice_config_last_reload_success_timestamp_seconds')).toBe(lastSuccess);
    expect(answered(await chat('steady'), false)).toBe(true);
    expect((await chat('added')).status).toBe(200);

    // Fixed, with a restart-only setting changed: the rest applies, that one is reported and kept.
    volume.update({
      'config.yaml': configWith([{ name: 'steady', provider: providerB }, { name: 'added', provider: providerB }, { name: 'third', provider: providerA }], {
        user_api_key_cache_ttl: 5,
      }),
    });
    await waitFor(() => logged('policy', 'config reload: general_settings.user_api_key_cache_ttl changed and needs restart') === 1, {
      timeoutMs: 10_000,
      message: 'policy did not report the restart-only setting',
    });
    await waitFor(() => logged('router', 'config reloaded') === 3, { timeoutMs: 10_000, message: 'the router did not apply the fixed config' });
    expect((await chat('third')).status).toBe(200);
  });
});
