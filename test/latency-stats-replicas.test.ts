// latency-based-routing statistics shared by router replicas through the real Redis: what one replica
// measured steers the other, which has not called the deployments itself.
import { createInternalAuth, createLogger, GRPC_CLIENT_OPTIONS, loadSettings, parseConfig, runShutdown } from '@sluice/common';
import { CallType, type CompletePart, RouterClient } from '@sluice/proto';
import { type RunningRouter, startRouter } from '@sluice/router';
import { createTestBackends, type FakeProvider, startFakeProvider, type TestBackends } from '@sluice/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';

const ANSWER = { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'fine' }, finish_reason: 'stop' }], usage: { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5 } };
const logger = createLogger({ service: 'test', level: 'silent' });
const fakes: Record<string, FakeProvider> = {};
const routers: RunningRouter[] = [];
let backends: TestBackends;

beforeAll(async () => {
  fakes.slow = await startFakeProvider(() => ({ json: ANSWER, delayMs: 300 }));
  fakes.fast = await startFakeProvider(() => ({ json: ANSWER }));
  backends = await createTestBackends('latency');
  const { config } = parseConfig(
    {
      model_list: ['slow', 'fast'].map((name) => ({
        model_name: 'g',
        litellm_params: { model: 'openai/gpt-4o', api_base: `${fakes[name]!.url}/v1`, api_key: 'sk-up' },
        model_info: { id: name },
      })),
      router_settings: { routing_strategy: 'latency-based-routing' },
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

function completeVia(router: RunningRouter): Promise<string> {
  const auth = createInternalAuth(backends.env.SLUICE_INTERNAL_TOKEN);
  const client = new RouterClient(`127.0.0.1:${router.grpcPort}`, auth.credentials(), { ...GRPC_CLIENT_OPTIONS, interceptors: auth.interceptors() });
  return new Promise((resolve, reject) => {
    let deployment = '';
    const call = client.complete({
      requestId: `latency-${Math.random()}`,
      callType: CallType.CALL_TYPE_CHAT_COMPLETION,
      modelGroup: 'g',
      body: Buffer.from(JSON.stringify({ model: 'g', messages: [{ role: 'user', content: 'hi' }] })),
      stream: false,
      includeUsage: false,
      cacheNamespace: '',
      cache: undefined,
      traceparent: '',
      tags: [],
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

test('a replica that never called the slow deployment avoids it, from what the other replica measured', async () => {
  const [first, second] = routers as [RunningRouter, RunningRouter];
  // The first replica measures both (an unmeasured deployment counts as fastest, so each gets tried).
  for (let index = 0; index < 6 && fakes.slow!.requests.length === 0; index += 1) await completeVia(first);
  for (let index = 0; index < 4; index += 1) await completeVia(first);
  expect(fakes.slow!.requests.length).toBeGreaterThan(0);
  expect(fakes.fast!.requests.length).toBeGreaterThan(0);
  // Shared once a second; wait for the first replica's figures to be published and read.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  const slowBefore = fakes.slow!.requests.length;
  const answered: string[] = [];
  for (let index = 0; index < 10; index += 1) answered.push(await completeVia(second));
  expect(new Set(answered)).toEqual(new Set(['fast']));
  expect(fakes.slow!.requests.length).toBe(slowBefore);
});
