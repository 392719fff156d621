// Tag routing across two router replicas started from one LiteLLM config (real gRPC, real Redis for
// their shared state; only the providers are fake): both send each request to the same tier, request
// tags arrive in the body or as the x-litellm-tags header, and free traffic never reaches the paid tier.
import { createInternalAuth, createLogger, GRPC_CLIENT_OPTIONS, loadSettings, parseConfig, runShutdown } from '@sluice/common';
import { CallType, type CompletePart, RouterClient } from '@sluice/proto';
import { type RunningRouter, startRouter } from '@sluice/router';
import { createTestBackends, type FakeProvider, startFakeProvider, type TestBackends } from '@sluice/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const ANSWER = { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'fine' }, finish_reason: 'stop' }], usage: { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5 } };
const logger = createLogger({ service: 'test', level: 'silent' });

const fakes: Record<string, FakeProvider> = {};
const routers: RunningRouter[] = [];
let backends: TestBackends;

beforeAll(async () => {
  for (const tier of ['free', 'paid', 'fallback']) fakes[tier] = await startFakeProvider(() => ({ json: ANSWER }));
  backends = await createTestBackends('tags');
  const deployment = (tier: string, tags: string[]) => ({
    model_name: 'gpt-4',
    litellm_params: { model: 'openai/gpt-4o', api_base: `${fakes[tier]!.url}/v1`, api_key: 'sk-up', tags },
    model_info: { id: tier },
  });
  const { config } = parseConfig(
    {
      model_list: [deployment('free', ['free']), deployment('paid', ['paid']), deployment('fallback', ['default'])],
      router_settings: { enable_tag_filtering: true },
    },
    {},
  );
  const settings = loadSettings({ ...backends.env, SLUICE_ROUTER_PORT: '0', SLUICE_ROUTER_HTTP_PORT: '0' });
  for (let replica = 0; replica < 2; replica += 1) routers.push(await startRouter({ settings, config, logger }));
});

afterAll(async () => {
  for (const router of routers) await runShutdown(logger, router.shutdownSteps(1_000), 5_000);
  for (const fake of Object.values(fakes)) await fake.close();
  await backends?.cleanup();
});

/** One Complete call to a replica; resolves with the deployment that answered, rejects with the gRPC error. */
function completeVia(router: RunningRouter, body: Record<string, unknown>, tags: string[] = []): Promise<string> {
  const auth = createInternalAuth(backends.env.SLUICE_INTERNAL_TOKEN);
  const client = new RouterClient(`127.0.0.1:${router.grpcPort}`, auth.credentials(), { ...GRPC_CLIENT_OPTIONS, interceptors: auth.interceptors() });
  return new Promise((resolve, reject) => {
    let deployment = '';
    const call = client.complete({
      requestId: `tags-${Math.random()}`,
      callType: CallType.CALL_TYPE_CHAT_COMPLETION,
      modelGroup: 'gpt-4',
      body: Buffer.from(JSON.stringify({ model: 'gpt-4', messages: [{ role: 'user', content: 'hi' }], ...body })),
      stream: false,
      includeUsage: false,
      cacheNamespace: '',
      cache: undefined,
      traceparent: '',
      tags,
      clientHeaders: {},
      owner: '',
    });
    call.on('data', (part: CompletePart) => {
      if (part.part?.$case === 'start') deployment = part.part.start.deploymentId;
    });
    call.on('error', (error) => {
      client.close();
      reject(error);
    });
    call.on('end', () => {
      client.close();
      resolve(deployment);
    });
  });
}

describe('tag routing on two router replicas', () => {
  test('each replica sends tagged traffic to its tier, whichever way the tags arrive', async () => {
    for (const router of routers) {
      for (let index = 0; index < 5; index += 1) {
        expect(await completeVia(router, { metadata: { tags: ['free'] } })).toBe('free');
        expect(await completeVia(router, { tags: ['paid'] })).toBe('paid');
        expect(await completeVia(router, {}, ['free'])).toBe('free');
      }
    }
  });

  test('free traffic never reaches the paid deployment; untagged traffic goes to the default one', async () => {
    const paidBefore = fakes.paid!.requests.length;
    for (const router of routers) {
      for (let index = 0; index < 10; index += 1) {
        expect(await completeVia(router, { metadata: { tags: ['free'] } })).toBe('free');
        expect(await completeVia(router, {})).toBe('fallback');
      }
    }
    expect(fakes.paid!.requests.length).toBe(paidBefore);
  });

  test('a tag no deployment serves falls to the default deployment, on both replicas', async () => {
    for (const router of routers) expect(await completeVia(router, {}, ['enterprise'])).toBe('fallback');
  });
});
