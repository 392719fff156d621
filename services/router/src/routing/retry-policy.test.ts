// router_settings.retry_policy, model_group_retry_policy and allowed_fails_policy: retries and allowed
// fails per LiteLLM error class, against fake providers on loopback.
import { createLogger, type GatewayError, parseConfig } from '@sluice/common';
import { CallType } from '@sluice/proto';
import { type FakeProvider, type FakeResponse, startFakeProvider } from '@sluice/testing';
import { afterEach, describe, expect, test } from 'vitest';
import { createCompleteCall } from './complete-call.js';
import { MemoryCooldownStore } from './cooldown-store.js';
import { DeploymentStats } from './deployment-stats.js';
import { buildModelRegistry } from './model-registry.js';
import { readPerErrorClass, retriesFor } from './retry-policy.js';
import { readRoutingSettings } from './routing-settings.js';

const logger = createLogger({ service: 'test', level: 'silent' });
const OK = { id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1 } };
const failing = (status: number): FakeResponse => ({ status, json: { error: { message: `status ${status}`, type: 'x' } } });
const fakes: FakeProvider[] = [];

afterEach(async () => {
  await Promise.all(fakes.splice(0).map((provider) => provider.close()));
});

async function fake(response: FakeResponse): Promise<FakeProvider> {
  const provider = await startFakeProvider(() => response);
  fakes.push(provider);
  return provider;
}

const deployment = (group: string, id: string, provider: FakeProvider) => ({
  model_name: group,
  litellm_params: { model: 'openai/gpt-4o', api_base: `${provider.url}/v1`, api_key: 'sk-up' },
  model_info: { id },
});

function routerFor(document: Record<string, unknown>) {
  const { config } = parseConfig(document, {});
  const cooldowns = new MemoryCooldownStore();
  const complete = createCompleteCall({
    registry: buildModelRegistry(config),
    logger,
    settings: readRoutingSettings(config),
    cooldowns,
    stats: new DeploymentStats(),
    random: () => 0,
    sleep: async () => undefined,
  });
  return { complete, cooldowns };
}

let counter = 0;
async function call(complete: ReturnType<typeof routerFor>['complete'], model: string): Promise<GatewayError | undefined> {
  counter += 1;
  try {
    for await (const _part of complete(
      {
        requestId: `retry-${counter}`,
        callType: CallType.CALL_TYPE_CHAT_COMPLETION,
        modelGroup: model,
        body: Buffer.from(JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] })),
        stream: false,
        includeUsage: false,
        cacheNamespace: '',
        cache: undefined,
        traceparent: '',
        tags: [],
        clientHeaders: {},
        owner: '',
      },
      new AbortController().signal,
    ));
    return undefined;
  } catch (error) {
    return error as GatewayError;
  }
}

describe('retry_policy', () => {
  test('reads LiteLLM names, ignores other keys, and falls back to num_retries for classes it does not list', () => {
    const policy = readPerErrorClass({ RateLimitErrorRetries: 4, TimeoutErrorRetries: 1.7, SomethingElse: 9 }, 'Retries');
    expect(policy).toEqual({ RateLimitError: 4, TimeoutError: 1 });
    expect(retriesFor('upstream_rate_limited', 2, policy)).toBe(4);
    expect(retriesFor('upstream_error', 2, policy)).toBe(2);
    expect(retriesFor('upstream_bad_request', 2, policy)).toBe(0);
    expect(retriesFor('content_policy_violation', 2, { BadRequestError: 3, ContentPolicyViolationError: 1 })).toBe(1);
  });

  test('RateLimitErrorRetries: 0 stops after the first 429; the default would try three times', async () => {
    const limited = await fake(failing(429));
    const { complete } = routerFor({ model_list: [deployment('g', 'a', limited)], router_settings: { retry_policy: { RateLimitErrorRetries: 0 } } });
    expect((await call(complete, 'g'))?.code).toBe('upstream_rate_limited');
    expect(limited.requests).toHaveLength(1);
    const plain = routerFor({ model_list: [deployment('g', 'a', limited)] });
    await call(plain.complete, 'g');
    expect(limited.requests).toHaveLength(4);
  });

  test('BadRequestErrorRetries retries a 400, which is otherwise never retried', async () => {
    const bad = await fake(failing(400));
    const { complete } = routerFor({ model_list: [deployment('g', 'a', bad)], router_settings: { retry_policy: { BadRequestErrorRetries: 1 } } });
    expect((await call(complete, 'g'))?.code).toBe('upstream_bad_request');
    expect(bad.requests).toHaveLength(2);
  });

  test('InternalServerErrorRetries overrides num_retries, and model_group_retry_policy overrides both for its group', async () => {
    const [g, h] = [await fake(failing(500)), await fake(failing(500))];
    const { complete } = routerFor({
      model_list: [deployment('g', 'a', g), deployment('h', 'b', h)],
      router_settings: { num_retries: 0, retry_policy: { InternalServerErrorRetries: 3 }, model_group_retry_policy: { g: { InternalServerErrorRetries: 1 } } },
    });
    await call(complete, 'g');
    await call(complete, 'h');
    expect(g.requests).toHaveLength(2);
    expect(h.requests).toHaveLength(4);
  });
});

describe('allowed_fails_policy', () => {
  test('each error class has its own allowed fails before a deployment cools down', async () => {
    const [serverError, rateLimited, healthy] = [await fake(failing(500)), await fake(failing(429)), await fake({ json: OK })];
    const { complete, cooldowns } = routerFor({
      model_list: [deployment('five', 'a', serverError), deployment('five', 'ok1', healthy), deployment('four', 'b', rateLimited), deployment('four', 'ok2', healthy)],
      router_settings: { num_retries: 0, allowed_fails: 1, allowed_fails_policy: { InternalServerErrorAllowedFails: 0, RateLimitErrorAllowedFails: 3 } },
    });
    // random() = 0 picks the first deployment of each group.
    await call(complete, 'five');
    expect(cooldowns.coolingDown('a')).toBe(true);
    for (let index = 0; index < 3; index += 1) await call(complete, 'four');
    expect(rateLimited.requests).toHaveLength(3);
    expect(cooldowns.coolingDown('b')).toBe(false);
    await call(complete, 'four');
    expect(cooldowns.coolingDown('b')).toBe(true);
  });
});
