// least-busy across two router replicas sharing the real Redis (only the providers are fake): requests
// one replica has in flight on a deployment steer the other replica away from it, though that replica
// has nothing in flight there itself.
import type { RunningRouter } from '@sluice/router';
import { createTestBackends, type FakeProvider, startFakeProvider, type TestBackends } from '@sluice/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type CompleteOutcome, completeVia, startRouterReplicas, stopRouterReplicas } from './helpers/router-replicas.js';

const ANSWER = { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'fine' }, finish_reason: 'stop' }], usage: { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5 } };
const fakes: Record<string, FakeProvider> = {};
let routers: RunningRouter[] = [];
let backends: TestBackends;

beforeAll(async () => {
  fakes.busy = await startFakeProvider(() => ({ json: ANSWER, delayMs: 6_000 }));
  fakes.idle = await startFakeProvider(() => ({ json: ANSWER }));
  backends = await createTestBackends('least-busy');
  routers = await startRouterReplicas(backends, {
    model_list: ['busy', 'idle'].map((name) => ({
      model_name: 'g',
      litellm_params: { model: 'openai/gpt-4o', api_base: `${fakes[name]!.url}/v1`, api_key: 'sk-up' },
      model_info: { id: name },
    })),
    router_settings: { routing_strategy: 'least-busy' },
  });
});

afterAll(async () => {
  await stopRouterReplicas(routers);
  for (const fake of Object.values(fakes)) await fake.close();
  await backends?.cleanup();
});

test('a replica avoids the deployment the other replica keeps busy', async () => {
  const [first, second] = routers as [RunningRouter, RunningRouter];
  // The first replica sends requests until one is held by the slow deployment (least-busy sends the
  // next ones to the idle deployment, which answers at once).
  const held: Array<Promise<CompleteOutcome>> = [];
  for (let index = 0; index < 20 && fakes.busy!.requests.length < 1; index += 1) {
    const outcome = completeVia(backends, first, { model: 'g' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (fakes.busy!.requests.length > held.length) held.push(outcome);
    else await outcome;
  }
  expect(held).toHaveLength(1);
  // Shared once a second: wait for the first replica's in-flight count to be published and read.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  const answered: string[] = [];
  for (let index = 0; index < 5; index += 1) answered.push((await completeVia(backends, second, { model: 'g' })).deployment);
  // Without the shared picture each of these would be a coin toss between two idle-looking deployments.
  expect(answered).toEqual(['idle', 'idle', 'idle', 'idle', 'idle']);
  expect(fakes.busy!.requests).toHaveLength(1);
  expect((await Promise.all(held)).map((outcome) => outcome.deployment)).toEqual(['busy']);
});
