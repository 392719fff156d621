// LiteLLM config features as the router serves them, against fake providers on loopback: wildcard
// deployments, litellm_params request defaults, model_group_alias and unprefixed model names.
import { createLogger, type GatewayError, parseConfig } from '@sluice/common';
import { CallType, type CompletePart } from '@sluice/proto';
import { type FakeProvider, startFakeProvider } from '@sluice/testing';
import { afterEach, describe, expect, test } from 'vitest';
import { createCompleteCall } from './complete-call.js';
import { MemoryCooldownStore } from './cooldown-store.js';
import { DeploymentStats } from './deployment-stats.js';
import { buildModelRegistry } from './model-registry.js';
import { readRoutingSettings } from './routing-settings.js';

const logger = createLogger({ service: 'test', level: 'silent' });
const ANSWER = { id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1 } };
const fakes: FakeProvider[] = [];

async function fake(): Promise<FakeProvider> {
  const provider = await startFakeProvider(() => ({ status: 200, json: ANSWER }));
  fakes.push(provider);
  return provider;
}

afterEach(async () => {
  await Promise.all(fakes.splice(0).map((provider) => provider.close()));
});

function routerFor(document: Record<string, unknown>) {
  const { config } = parseConfig(document, {});
  const registry = buildModelRegistry(config);
  const complete = createCompleteCall({
    registry,
    logger,
    settings: readRoutingSettings(config),
    cooldowns: new MemoryCooldownStore(),
    stats: new DeploymentStats(),
    random: () => 0.5,
    sleep: async () => undefined,
  });
  return { complete, registry };
}

let counter = 0;
async function call(
  complete: ReturnType<typeof routerFor>['complete'],
  model: string,
  extra: Record<string, unknown> = {},
  callType = CallType.CALL_TYPE_CHAT_COMPLETION,
): Promise<{ parts: CompletePart[]; error: GatewayError | undefined }> {
  counter += 1;
  const parts: CompletePart[] = [];
  const body = callType === CallType.CALL_TYPE_EMBEDDING ? { model, input: 'hi', ...extra } : { model, messages: [{ role: 'user', content: 'hi' }], ...extra };
  try {
    for await (const part of complete(
      {
        requestId: `req-${counter}`,
        callType,
        modelGroup: model,
        body: Buffer.from(JSON.stringify(body)),
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
    )) {
      parts.push(part);
    }
    return { parts, error: undefined };
  } catch (error) {
    return { parts, error: error as GatewayError };
  }
}

const sentBody = (provider: FakeProvider, index = 0) => provider.requests[index]!.body as Record<string, unknown>;

describe('wildcard deployments', () => {
  test('"openai/*" and "*" pass the client\'s model name through to their provider; the most specific pattern wins', async () => {
    const catchAll = await fake();
    const prefixed = await fake();
    const { complete, registry } = routerFor({
      model_list: [
        { model_name: '*', litellm_params: { model: 'openai/*', api_base: `${catchAll.url}/v1`, api_key: 'sk-a' } },
        { model_name: 'openai/*', litellm_params: { model: 'openai/*', api_base: `${prefixed.url}/v1`, api_key: 'sk-b' } },
        { model_name: 'gpt-4o', litellm_params: { model: 'openai/gpt-4o', api_base: `${prefixed.url}/v1`, api_key: 'sk-b' } },
      ],
    });
    expect((await call(complete, 'openai/gpt-5-mini')).error).toBeUndefined();
    expect(sentBody(prefixed).model).toBe('gpt-5-mini');
    expect((await call(complete, 'o3-mini')).error).toBeUndefined();
    expect(sentBody(catchAll).model).toBe('o3-mini');
    // /v1/models lists the names the config spells out, not the patterns.
    expect(registry.models().map((model) => model.id)).toEqual(['gpt-4o']);
  });

  test('without a wildcard an unknown model is still model_not_found', async () => {
    const provider = await fake();
    const { complete } = routerFor({ model_list: [{ model_name: 'anthropic/*', litellm_params: { model: 'anthropic/*', api_base: provider.url } }] });
    expect(() => complete({ requestId: 'r', callType: CallType.CALL_TYPE_CHAT_COMPLETION, modelGroup: 'gpt-4o', body: Buffer.from('{}'), stream: false, includeUsage: false, cacheNamespace: '', cache: undefined, traceparent: '', tags: [], clientHeaders: {}, owner: '' }, new AbortController().signal)).toThrow(
      /does not exist/,
    );
  });
});

describe('deployment defaults in litellm_params', () => {
  test('temperature and max_tokens go with each request; the client\'s value wins', async () => {
    const provider = await fake();
    const { complete } = routerFor({
      model_list: [{ model_name: 'm', litellm_params: { model: 'openai/m', api_base: `${provider.url}/v1`, temperature: 0.1, max_tokens: 20 } }],
    });
    await call(complete, 'm');
    expect(sentBody(provider, 0)).toMatchObject({ model: 'm', temperature: 0.1, max_tokens: 20 });
    await call(complete, 'm', { temperature: 0.9 });
    expect(sentBody(provider, 1)).toMatchObject({ temperature: 0.9, max_tokens: 20 });
  });

  test('embedding calls get no sampling defaults', async () => {
    const provider = await fake();
    const { complete } = routerFor({
      model_list: [{ model_name: 'e', litellm_params: { model: 'openai/text-embedding-3-small', api_base: `${provider.url}/v1`, temperature: 0.1 } }],
    });
    await call(complete, 'e', {}, CallType.CALL_TYPE_EMBEDDING);
    expect(sentBody(provider)).not.toHaveProperty('temperature');
  });
});

describe('model names and aliases', () => {
  test('an unprefixed model with an api_base goes to that OpenAI-compatible server under its own name', async () => {
    const provider = await fake();
    const { complete } = routerFor({ model_list: [{ model_name: 'local', litellm_params: { model: 'llama3', api_base: `${provider.url}/v1` } }] });
    expect((await call(complete, 'local')).error).toBeUndefined();
    expect(provider.requests[0]!.path).toBe('/v1/chat/completions');
    expect(sentBody(provider).model).toBe('llama3');
  });

  test('model_group_alias routes both forms to the group', async () => {
    const provider = await fake();
    const { complete } = routerFor({
      model_list: [{ model_name: 'gpt-4o', litellm_params: { model: 'openai/gpt-4o', api_base: `${provider.url}/v1` } }],
      router_settings: { model_group_alias: { fast: 'gpt-4o', quiet: { model: 'gpt-4o', hidden: true } } },
    });
    expect((await call(complete, 'fast')).error).toBeUndefined();
    expect((await call(complete, 'quiet')).error).toBeUndefined();
    expect(provider.requests.map((request) => (request.body as { model: string }).model)).toEqual(['gpt-4o', 'gpt-4o']);
  });
});

describe('routing_strategy: cost-based-routing', () => {
  test('picks the cheapest deployment by price; an unpriced one only when nothing priced is left', async () => {
    const cheap = await fake();
    const dear = await fake();
    const unpriced = await fake();
    const { complete } = routerFor({
      model_list: [
        { model_name: 'g', litellm_params: { model: 'openai/some-unpriced-model', api_base: `${unpriced.url}/v1` } },
        { model_name: 'g', litellm_params: { model: 'openai/gpt-4o', api_base: `${dear.url}/v1` } },
        { model_name: 'g', litellm_params: { model: 'openai/gpt-4o-mini', api_base: `${cheap.url}/v1` } },
      ],
      router_settings: { routing_strategy: 'cost-based-routing' },
    });
    for (let index = 0; index < 3; index += 1) expect((await call(complete, 'g')).error).toBeUndefined();
    expect([cheap.requests.length, dear.requests.length, unpriced.requests.length]).toEqual([3, 0, 0]);
  });
});

describe('tag routing', () => {
  const tagged = async (tags: Record<string, string[]>, router: Record<string, unknown> = { enable_tag_filtering: true }) => {
    const providers: Record<string, FakeProvider> = {};
    for (const name of Object.keys(tags)) providers[name] = await fake();
    const { complete } = routerFor({
      model_list: Object.entries(tags).map(([name, own]) => ({
        model_name: 'g',
        litellm_params: { model: 'openai/m', api_base: `${providers[name]!.url}/v1`, tags: own },
        model_info: { id: name },
      })),
      router_settings: router,
    });
    const served = async (extra: Record<string, unknown>) => {
      const { parts, error } = await call(complete, 'g', extra);
      if (error) return error;
      const start = parts.find((part) => part.part?.$case === 'start');
      return start?.part?.$case === 'start' ? start.part.start.deploymentId : undefined;
    };
    return { served, providers };
  };

  test('a tag no deployment serves, without a default deployment, is a 400 naming the tags', async () => {
    const { served } = await tagged({ free: ['free'], paid: ['paid'] });
    const error = await served({ tags: ['gold'] });
    expect(error).toMatchObject({ code: 'invalid_request' });
    expect(String((error as Error).message)).toMatch(/"gold"/);
  });

  test('tag_filtering_match_any: false needs every tag; untagged deployments never take tagged traffic', async () => {
    const { served } = await tagged({ both: ['eu', 'paid'], eu: ['eu'], untagged: [] }, { enable_tag_filtering: true, tag_filtering_match_any: false });
    for (let index = 0; index < 5; index += 1) expect(await served({ tags: ['eu', 'paid'] })).toBe('both');
    for (let index = 0; index < 5; index += 1) expect(['both', 'eu']).toContain(await served({ metadata: { tags: ['eu'] } }));
  });

  test('without enable_tag_filtering, tags do not steer', async () => {
    const { served } = await tagged({ free: ['free'], paid: ['paid'] }, {});
    const seen = new Set<unknown>();
    // random() is fixed at 0.5, so without filtering the same deployment answers whatever the tags.
    for (const tags of [['free'], ['paid']]) seen.add(await served({ tags }));
    expect(seen.size).toBe(1);
  });
});

describe('enable_pre_call_checks', () => {
  test('a deployment whose context window is smaller than the prompt is skipped; none fitting is context_window_exceeded', async () => {
    const small = await fake();
    const large = await fake();
    const { complete } = routerFor({
      model_list: [
        { model_name: 'g', litellm_params: { model: 'openai/m', api_base: `${small.url}/v1` }, model_info: { id: 'small', max_input_tokens: 100 } },
        { model_name: 'g', litellm_params: { model: 'openai/m', api_base: `${large.url}/v1` }, model_info: { id: 'large', max_input_tokens: 100_000 } },
        { model_name: 'tiny', litellm_params: { model: 'openai/m', api_base: `${small.url}/v1` }, model_info: { id: 'tiny', max_tokens: 10 } },
      ],
      router_settings: { enable_pre_call_checks: true },
    });
    const long = 'word '.repeat(400);
    for (let index = 0; index < 4; index += 1) expect((await call(complete, 'g', { messages: [{ role: 'user', content: long }] })).error).toBeUndefined();
    expect([small.requests.length, large.requests.length]).toEqual([0, 4]);
    const { error } = await call(complete, 'tiny', { messages: [{ role: 'user', content: long }] });
    expect(error?.code).toBe('context_window_exceeded');
    expect(small.requests.length).toBe(0);
  });
});
