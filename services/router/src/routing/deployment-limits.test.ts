// Per-deployment rpm / tpm / max_parallel_requests as routing constraints, with the in-process store,
// against fake providers on loopback. The Redis store (exact across replicas) is tested end to end in
// test/deployment-limits-replicas.test.ts.
import { createLogger, type GatewayError, parseConfig } from '@sluice/common';
import { CallType, type CompletePart } from '@sluice/proto';
import { type FakeProvider, startFakeProvider } from '@sluice/testing';
import { afterEach, describe, expect, test } from 'vitest';
import { createCompleteCall } from './complete-call.js';
import { MemoryCooldownStore } from './cooldown-store.js';
import { limitsOf, MemoryDeploymentLimits } from './deployment-limits.js';
import { DeploymentStats } from './deployment-stats.js';
import { buildModelRegistry } from './model-registry.js';
import { readRoutingSettings } from './routing-settings.js';

const logger = createLogger({ service: 'test', level: 'silent' });
const answer = (totalTokens = 4) => ({
  id: 'x',
  object: 'chat.completion',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: totalTokens - 1, completion_tokens: 1 },
});
const fakes: FakeProvider[] = [];

afterEach(async () => {
  await Promise.all(fakes.splice(0).map((provider) => provider.close()));
});

async function fake(delayMs = 0, totalTokens = 4): Promise<FakeProvider> {
  const provider = await startFakeProvider(() => ({ json: answer(totalTokens), delayMs }));
  fakes.push(provider);
  return provider;
}

const deployment = (group: string, id: string, provider: FakeProvider, params: Record<string, unknown>) => ({
  model_name: group,
  litellm_params: { model: 'openai/gpt-4o', api_base: `${provider.url}/v1`, api_key: 'sk-up', ...params },
  model_info: { id },
});

function routerFor(document: Record<string, unknown>, now: () => number = Date.now) {
  const { config } = parseConfig(document, {});
  return createCompleteCall({
    registry: buildModelRegistry(config),
    logger,
    settings: readRoutingSettings(config),
    cooldowns: new MemoryCooldownStore(),
    stats: new DeploymentStats(),
    limits: new MemoryDeploymentLimits(),
    random: () => 0,
    sleep: async () => undefined,
    now,
  });
}

let counter = 0;
async function call(complete: ReturnType<typeof routerFor>, model: string, stream = false, signal = new AbortController().signal) {
  counter += 1;
  const parts: CompletePart[] = [];
  try {
    for await (const part of complete(
      {
        requestId: `req-${counter}`,
        callType: CallType.CALL_TYPE_CHAT_COMPLETION,
        modelGroup: model,
        body: Buffer.from(JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], stream })),
        stream,
        includeUsage: false,
        cacheNamespace: '',
        cache: undefined,
        traceparent: '',
        tags: [],
        clientHeaders: {},
        owner: '',
      },
      signal,
    )) {
      parts.push(part);
    }
    const start = parts.find((part) => part.part?.$case === 'start');
    return { deployment: start?.part?.$case === 'start' ? start.part.start.deploymentId : undefined, error: undefined };
  } catch (error) {
    return { deployment: undefined, error: error as GatewayError };
  }
}

describe('per-deployment limits', () => {
  test('a deployment without limits has none to check; default_max_parallel_requests fills in the parallel limit', async () => {
    const provider = await fake();
    const registry = buildModelRegistry(
      parseConfig({ model_list: [deployment('g', 'plain', provider, {}), deployment('g', 'own', provider, { rpm: 5, max_parallel_requests: 2, timeout: 30, stream_timeout: 90 })] }, {}).config,
    );
    const [plain, own] = registry.group('g')!;
    expect(limitsOf(plain!)).toBeUndefined();
    expect(limitsOf(plain!, 600_000, 4)).toEqual({ rpm: 0, tpm: 0, parallel: 4, slotTtlMs: 660_000 });
    // The slot outlives the longest the attempt may take (here the stream's 90 s) by a minute.
    expect(limitsOf(own!, 600_000, 4)).toEqual({ rpm: 5, tpm: 0, parallel: 2, slotTtlMs: 150_000 });
  });

  test('a deployment at its rpm is skipped for the next one; with every one at its limit the client gets a 429', async () => {
    const [a, b] = [await fake(), await fake()];
    const complete = routerFor({ model_list: [deployment('g', 'a', a, { rpm: 2 }), deployment('g', 'b', b, { rpm: 1 })] });
    const served = [];
    for (let index = 0; index < 3; index += 1) served.push((await call(complete, 'g')).deployment);
    expect(served.sort()).toEqual(['a', 'a', 'b']);
    const refused = await call(complete, 'g');
    expect(refused.error?.code).toBe('deployment_limits_reached');
    expect(refused.error?.message).toContain('No deployments available for selected model');
    expect(refused.error?.details.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(a.requests).toHaveLength(2);
    expect(b.requests).toHaveLength(1);
  });

  test('usage-based-routing: with every deployment at its rpm the client gets the same 429', async () => {
    const [a, b] = [await fake(), await fake()];
    const complete = routerFor({
      model_list: [deployment('g', 'a', a, { rpm: 1 }), deployment('g', 'b', b, { rpm: 1 })],
      router_settings: { routing_strategy: 'usage-based-routing' },
    });
    const served = [(await call(complete, 'g')).deployment, (await call(complete, 'g')).deployment];
    expect(served.sort()).toEqual(['a', 'b']);
    expect((await call(complete, 'g')).error?.code).toBe('deployment_limits_reached');
  });

  test('the window starts again a minute after its first request', async () => {
    const a = await fake();
    let clock = 1_000_000;
    const complete = routerFor({ model_list: [deployment('g', 'a', a, { rpm: 1 })] }, () => clock);
    expect((await call(complete, 'g')).deployment).toBe('a');
    expect((await call(complete, 'g')).error?.code).toBe('deployment_limits_reached');
    clock += 60_000;
    expect((await call(complete, 'g')).deployment).toBe('a');
  });

  test('a group whose deployments are all at their limit falls back', async () => {
    const [a, b] = [await fake(), await fake()];
    const complete = routerFor({
      model_list: [deployment('g', 'a', a, { rpm: 1 }), deployment('h', 'b', b, {})],
      router_settings: { fallbacks: [{ g: ['h'] }] },
    });
    expect((await call(complete, 'g')).deployment).toBe('a');
    expect((await call(complete, 'g')).deployment).toBe('b');
  });

  test('tpm counts the tokens the provider reported, not the estimate', async () => {
    const a = await fake(0, 30);
    const b = await fake();
    const complete = routerFor({ model_list: [deployment('g', 'a', a, { tpm: 40, order: 1 }), deployment('g', 'b', b, { order: 2 })] });
    // The first prompt is estimated at ~20 tokens and settles at 30; a second ~20 would pass 40.
    expect((await call(complete, 'g')).deployment).toBe('a');
    expect((await call(complete, 'g')).deployment).toBe('b');
  });

  test('max_parallel_requests: a slot is taken while the attempt runs and given back when it ends', async () => {
    const slow = await fake(200);
    const complete = routerFor({ model_list: [deployment('g', 'a', slow, { max_parallel_requests: 1 })] });
    const first = call(complete, 'g');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await call(complete, 'g')).error?.code).toBe('deployment_limits_reached');
    expect((await first).deployment).toBe('a');
    expect((await call(complete, 'g')).deployment).toBe('a');
  });

  test('a client that goes away mid-request gives its slot back', async () => {
    const hanging = await startFakeProvider(() => ({ hang: true }));
    fakes.push(hanging);
    const complete = routerFor({ model_list: [deployment('g', 'a', hanging, { max_parallel_requests: 1 })] });
    const controller = new AbortController();
    const first = call(complete, 'g', true, controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await call(complete, 'g')).error?.code).toBe('deployment_limits_reached');
    controller.abort();
    await first;
    hanging.respondWith(() => ({ json: answer() }));
    expect((await call(complete, 'g')).deployment).toBe('a');
  });

  test('an upstream failure frees the slot too', async () => {
    const failing = await startFakeProvider(() => ({ status: 500, json: { error: { message: 'boom' } } }));
    fakes.push(failing);
    const complete = routerFor({ model_list: [deployment('g', 'a', failing, { max_parallel_requests: 1 })], router_settings: { num_retries: 0 } });
    expect((await call(complete, 'g')).error?.code).toBe('upstream_error');
    failing.respondWith(() => ({ json: answer() }));
    expect((await call(complete, 'g')).deployment).toBe('a');
  });
});
