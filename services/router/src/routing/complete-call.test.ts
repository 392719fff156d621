// The router's retry, fallback, cooldown, timeout and keep-alive behaviour, in process, against fake
// providers (real HTTP on loopback). Waits between retries go through an injected sleep that records
// them, so nothing here depends on timing except the timeout tests, which use wide margins.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, GatewayError, parseConfig } from '@sluice/common';
import { CallType, type CompletePart } from '@sluice/proto';
import { type FakeProvider, type FakeResponse, loadStreamPayloads, startFakeProvider } from '@sluice/testing';
import { afterEach, describe, expect, test } from 'vitest';
import { createCompleteCall } from './complete-call.js';
import { MemoryCooldownStore } from './cooldown-store.js';
import { DeploymentStats } from './deployment-stats.js';
import { buildModelRegistry } from './model-registry.js';
import { readRoutingSettings } from './routing-settings.js';

const logger = createLogger({ service: 'test', level: 'silent' });
const STREAM = loadStreamPayloads('vercel-ai', 'openai__chat__openai-text');
const ANSWER = { id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1 } };
const fakes: FakeProvider[] = [];

async function fake(respond: (index: number) => FakeResponse): Promise<FakeProvider> {
  const provider = await startFakeProvider((_request, index) => respond(index));
  fakes.push(provider);
  return provider;
}

afterEach(async () => {
  await Promise.all(fakes.splice(0).map((provider) => provider.close()));
});

interface Setup {
  groups: Record<string, Array<{ url: string; id: string; extra?: Record<string, unknown> }>>;
  router?: Record<string, unknown>;
  random?: () => number;
}

function setup({ groups, router = {}, random = () => 0.5 }: Setup) {
  const model_list = Object.entries(groups).flatMap(([name, deployments]) =>
    deployments.map((deployment) => ({
      model_name: name,
      litellm_params: { model: 'openai/gpt-4o-mini', api_base: `${deployment.url}/v1`, api_key: 'sk-up', ...deployment.extra },
      model_info: { id: deployment.id },
    })),
  );
  const { config } = parseConfig({ model_list, router_settings: router }, {});
  const waits: number[] = [];
  const cooldowns = new MemoryCooldownStore();
  const complete = createCompleteCall({
    registry: buildModelRegistry(config),
    logger,
    settings: readRoutingSettings(config),
    cooldowns,
    stats: new DeploymentStats(),
    random,
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
  return { complete, waits, cooldowns };
}

let counter = 0;
async function call(complete: ReturnType<typeof setup>['complete'], group: string, stream = false, signal = new AbortController().signal) {
  counter += 1;
  const parts: CompletePart[] = [];
  try {
    for await (const part of complete(
      {
        requestId: `req-${counter}`,
        callType: CallType.CALL_TYPE_CHAT_COMPLETION,
        modelGroup: group,
        body: Buffer.from(JSON.stringify({ model: group, stream, messages: [{ role: 'user', content: 'hi' }] })),
        stream,
        includeUsage: false,
        cacheNamespace: '',
        cache: undefined,
        traceparent: '',
        clientHeaders: {},
      owner: '',
        tags: [],
      },
      signal,
    )) {
      parts.push(part);
    }
    return { parts, error: undefined };
  } catch (error) {
    return { parts, error: error as GatewayError };
  }
}

const of = <C extends NonNullable<CompletePart['part']>['$case']>(parts: CompletePart[], kind: C) =>
  parts.filter((part) => part.part?.$case === kind).map((part) => (part.part as Extract<NonNullable<CompletePart['part']>, { $case: C }>)[kind as never]) as Array<
    Extract<NonNullable<CompletePart['part']>, { $case: C }> extends { [key in C]: infer V } ? V : never
  >;

describe('retries', () => {
  test('stay within num_retries, with full-jitter exponential backoff on the same deployment', async () => {
    const provider = await fake(() => ({ status: 500, json: { error: { message: 'boom' } } }));
    const { complete, waits } = setup({ groups: { g: [{ url: provider.url, id: 'a' }] }, router: { num_retries: 3 } });
    const { error } = await call(complete, 'g');
    expect(error?.code).toBe('upstream_error');
    expect(provider.requests).toHaveLength(4);
    // random() = 0.5 of min(8 s, 0.5 s · 2^(retry−1)).
    expect(waits).toEqual([250, 500, 1000]);
  });

  test.each([
    [400, { error: { message: 'bad' } }, 'upstream_bad_request'],
    [401, { error: { message: 'key sk-up is wrong' } }, 'upstream_auth_error'],
    [403, { error: { message: 'nope' } }, 'upstream_auth_error'],
    [400, { error: { message: "This model's maximum context length is 8192 tokens", code: 'context_length_exceeded' } }, 'context_window_exceeded'],
  ])('no retry on %i (%s)', async (status, json, code) => {
    const provider = await fake(() => ({ status, json }));
    const { complete } = setup({ groups: { g: [{ url: provider.url, id: 'a' }] }, router: { num_retries: 3 } });
    const { error } = await call(complete, 'g');
    expect(error?.code).toBe(code);
    expect(error?.message).not.toContain('sk-up');
    expect(provider.requests).toHaveLength(1);
  });

  test('Retry-After sets the wait before retrying the same deployment', async () => {
    const provider = await fake((index) => (index === 0 ? { status: 429, headers: { 'retry-after': '3' }, json: { error: { message: 'slow' } } } : { json: ANSWER }));
    const { complete, waits } = setup({ groups: { g: [{ url: provider.url, id: 'a' }] } });
    const { parts, error } = await call(complete, 'g');
    expect(error).toBeUndefined();
    expect(waits).toEqual([3000]);
    expect(of(parts, 'start')[0]).toMatchObject({ deploymentId: 'a', attempts: 2 });
  });

  test('a Retry-After longer than a minute is not waited for', async () => {
    const provider = await fake(() => ({ status: 429, headers: { 'retry-after': '3600' }, json: { error: { message: 'quota' } } }));
    const { complete, waits } = setup({ groups: { g: [{ url: provider.url, id: 'a' }] } });
    const { error } = await call(complete, 'g');
    expect(error?.code).toBe('upstream_rate_limited');
    expect(provider.requests).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  test('another healthy deployment of the group is tried at once', async () => {
    const bad = await fake(() => ({ status: 503, json: { error: { message: 'down' } } }));
    const good = await fake(() => ({ json: ANSWER }));
    // random() = 0 picks the first deployment first.
    const { complete, waits } = setup({ groups: { g: [{ url: bad.url, id: 'bad' }, { url: good.url, id: 'good' }] }, random: () => 0 });
    const { parts, error } = await call(complete, 'g');
    expect(error).toBeUndefined();
    expect(bad.requests).toHaveLength(1);
    expect(good.requests).toHaveLength(1);
    expect(waits).toEqual([0]);
    expect(of(parts, 'start')[0]).toMatchObject({ deploymentId: 'good', attempts: 2 });
  });
});

describe('fallbacks', () => {
  test('after the group\'s retries, the fallback group answers', async () => {
    const bad = await fake(() => ({ status: 500, json: { error: { message: 'boom' } } }));
    const good = await fake(() => ({ json: ANSWER }));
    const { complete } = setup({ groups: { primary: [{ url: bad.url, id: 'p' }], backup: [{ url: good.url, id: 'b' }] }, router: { num_retries: 1, fallbacks: [{ primary: ['backup'] }] } });
    const { parts, error } = await call(complete, 'primary');
    expect(error).toBeUndefined();
    expect(bad.requests).toHaveLength(2);
    expect(good.requests).toHaveLength(1);
    expect(of(parts, 'start')[0]).toMatchObject({ deploymentId: 'b', attempts: 3 });
    expect(JSON.parse(of(parts, 'body')[0]!.json.toString())).toMatchObject({ choices: [{ message: { content: 'ok' } }] });
  });

  test('a context-window error goes to context_window_fallbacks only', async () => {
    const small = await fake(() => ({ status: 400, json: { error: { message: 'too long', code: 'context_length_exceeded' } } }));
    const general = await fake(() => ({ json: ANSWER }));
    const large = await fake(() => ({ json: ANSWER }));
    const { complete } = setup({
      groups: { small: [{ url: small.url, id: 's' }], general: [{ url: general.url, id: 'g' }], large: [{ url: large.url, id: 'l' }] },
      router: { fallbacks: [{ small: ['general'] }], context_window_fallbacks: [{ small: ['large'] }] },
    });
    const { parts } = await call(complete, 'small');
    expect(small.requests).toHaveLength(1);
    expect(general.requests).toHaveLength(0);
    expect(large.requests).toHaveLength(1);
    expect(of(parts, 'start')[0]!.deploymentId).toBe('l');
  });

  test('a content-policy error goes to content_policy_fallbacks; a plain 400 goes nowhere', async () => {
    const strict = await fake((index) => (index === 0 ? { status: 400, json: { error: { message: 'filtered', code: 'content_filter' } } } : { status: 400, json: { error: { message: 'bad' } } }));
    const lenient = await fake(() => ({ json: ANSWER }));
    const { complete } = setup({
      groups: { strict: [{ url: strict.url, id: 's' }], lenient: [{ url: lenient.url, id: 'l' }] },
      router: { fallbacks: [{ strict: ['lenient'] }], content_policy_fallbacks: [{ strict: ['lenient'] }] },
    });
    expect((await call(complete, 'strict')).error).toBeUndefined();
    expect(lenient.requests).toHaveLength(1);
    expect((await call(complete, 'strict')).error?.code).toBe('upstream_bad_request');
    expect(lenient.requests).toHaveLength(1);
  });
});

describe('cooldowns', () => {
  test('a 429 with Retry-After cools the deployment down; the rest of the group takes the traffic', async () => {
    const limited = await fake(() => ({ status: 429, headers: { 'retry-after': '30' }, json: { error: { message: 'slow' } } }));
    const healthy = await fake(() => ({ json: ANSWER }));
    let pick = 0;
    const { complete, cooldowns } = setup({ groups: { g: [{ url: limited.url, id: 'limited' }, { url: healthy.url, id: 'healthy' }] }, random: () => (pick++ === 0 ? 0 : 0.99) });
    await call(complete, 'g');
    expect(cooldowns.coolingDown('limited')).toBe(true);
    for (let index = 0; index < 10; index += 1) expect((await call(complete, 'g')).error).toBeUndefined();
    expect(limited.requests).toHaveLength(1);
    expect(healthy.requests).toHaveLength(11);
  });

  test('more than allowed_fails failures in a minute cool a deployment down; a single deployment never is', async () => {
    const flaky = await fake(() => ({ status: 500, json: { error: { message: 'boom' } } }));
    const healthy = await fake(() => ({ status: 500, json: { error: { message: 'boom' } } }));
    const { complete, cooldowns } = setup({ groups: { g: [{ url: flaky.url, id: 'flaky' }, { url: healthy.url, id: 'other' }], solo: [{ url: flaky.url, id: 'solo' }] }, router: { allowed_fails: 2, num_retries: 0 }, random: () => 0 });
    for (let index = 0; index < 2; index += 1) await call(complete, 'g');
    expect(cooldowns.coolingDown('flaky')).toBe(false);
    await call(complete, 'g');
    expect(cooldowns.coolingDown('flaky')).toBe(true);
    for (let index = 0; index < 5; index += 1) await call(complete, 'solo');
    expect(cooldowns.coolingDown('solo')).toBe(false);
  });

  test('every deployment cooling down: no_deployment_available', async () => {
    const limited = await fake(() => ({ status: 429, headers: { 'retry-after': '30' }, json: { error: { message: 'slow' } } }));
    const { complete } = setup({ groups: { g: [{ url: limited.url, id: 'one' }, { url: limited.url, id: 'two' }] }, router: { num_retries: 1 } });
    await call(complete, 'g');
    const { error } = await call(complete, 'g');
    expect(error?.code).toBe('no_deployment_available');
    expect(limited.requests).toHaveLength(2);
  });
});

describe('streams', () => {
  test('a drop after 10 chunks: the 10 chunks, then the usage counted so far and an error; no retry', async () => {
    // A short pause between events lets each reach the socket before it is destroyed.
    const provider = await fake(() => ({ sse: STREAM, dropAfter: 10, pieceDelayMs: 5 }));
    const { complete } = setup({ groups: { g: [{ url: provider.url, id: 'a' }] }, router: { num_retries: 3 } });
    const { parts, error } = await call(complete, 'g', true);
    expect(error).toBeUndefined();
    const sse = of(parts, 'chunk').map((chunk) => chunk.sse.toString()).join('');
    expect(sse.split('\n\n').filter(Boolean)).toEqual(STREAM.slice(0, 10).map((payload) => `data: ${payload}`));
    const tail = parts.slice(-2).map((part) => part.part?.$case);
    expect(tail).toEqual(['usage', 'error']);
    expect(of(parts, 'usage')[0]).toMatchObject({ estimated: true, completionTokens: 10 });
    expect(of(parts, 'error')[0]!.code).toBe('upstream_stream_error');
    expect(provider.requests).toHaveLength(1);
  });

  test('a hang before the first token times out (stream_timeout), is retried, and keep-alives flow meanwhile', async () => {
    const provider = await fake(() => ({ hang: true }));
    const { complete } = setup({ groups: { g: [{ url: provider.url, id: 'a' }] }, router: { num_retries: 1, stream_timeout: 0.6, keep_alive_interval: 0.1 } });
    const { parts, error } = await call(complete, 'g', true);
    expect(error?.code).toBe('upstream_timeout');
    expect(provider.requests).toHaveLength(2);
    expect(of(parts, 'keepAlive').length).toBeGreaterThanOrEqual(2);
    expect(parts.every((part) => part.part?.$case === 'keepAlive')).toBe(true);
  });

  test('non-streaming calls time out after `timeout`', async () => {
    const provider = await fake(() => ({ json: ANSWER, delayMs: 5_000 }));
    const { complete } = setup({ groups: { g: [{ url: provider.url, id: 'a', extra: { timeout: 0.5 } }] }, router: { num_retries: 0 } });
    const { error } = await call(complete, 'g');
    expect(error?.code).toBe('upstream_timeout');
  });

  test('a client that goes away cancels the upstream request', async () => {
    let closed: () => void;
    const upstreamClosed = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const server = createServer((request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(`data: ${STREAM[0]}\n\n`);
      request.socket.on('close', () => closed());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { complete } = setup({ groups: { g: [{ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, id: 'a' }] } });
      const controller = new AbortController();
      const pending = call(complete, 'g', true, controller.signal);
      await new Promise((resolve) => setTimeout(resolve, 300));
      controller.abort();
      await upstreamClosed;
      const { parts } = await pending;
      expect(of(parts, 'chunk')).toHaveLength(1);
      expect(of(parts, 'error')).toHaveLength(0);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

