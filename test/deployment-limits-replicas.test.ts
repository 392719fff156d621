// Per-deployment rpm / tpm / max_parallel_requests across two router replicas sharing the real Redis
// (only the providers are fake): the limits hold exactly however the requests are spread, tokens are
// settled to what the provider reported, and a parallel slot comes back when its attempt ends,
// a cancelled stream included.
import type { RunningRouter } from '@sluice/router';
import { createTestBackends, type FakeProvider, sampleValue, scrapeMetrics, startFakeProvider, type TestBackends } from '@sluice/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { completeVia, startRouterReplicas, stopRouterReplicas } from './helpers/router-replicas.js';
import { waitFor } from './helpers/wait-for.js';

const answer = (tokens: number) => ({
  id: 'c',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'fine' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: tokens - 1, completion_tokens: 1, total_tokens: tokens },
});
const chunk = (content: string) => JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] });

const fakes: Record<string, FakeProvider> = {};
let routers: RunningRouter[] = [];
let backends: TestBackends;

beforeAll(async () => {
  fakes.rpm = await startFakeProvider(() => ({ json: answer(5) }));
  fakes.parallel = await startFakeProvider(() => ({ json: answer(5), delayMs: 400 }));
  fakes.tpm = await startFakeProvider(() => ({ json: answer(40) }));
  fakes.stream = await startFakeProvider(() => ({ sse: Array.from({ length: 50 }, () => chunk('x')), pieceDelayMs: 100 }));
  backends = await createTestBackends('deployment-limits');
  const deployment = (name: string, params: Record<string, unknown>) => ({
    model_name: name,
    litellm_params: { model: 'openai/gpt-4o', api_base: `${fakes[name]!.url}/v1`, api_key: 'sk-up', ...params },
    model_info: { id: name },
  });
  routers = await startRouterReplicas(backends, {
    model_list: [
      deployment('rpm', { rpm: 10 }),
      deployment('parallel', { max_parallel_requests: 2 }),
      deployment('tpm', { tpm: 50 }),
      deployment('stream', { max_parallel_requests: 1 }),
    ],
    router_settings: { num_retries: 0 },
  });
});

afterAll(async () => {
  await stopRouterReplicas(routers);
  for (const fake of Object.values(fakes)) await fake.close();
  await backends?.cleanup();
});

const replica = (index: number) => routers[index % routers.length]!;

test('rpm 10 across two replicas: exactly 10 requests reach the deployment, the rest get a 429', async () => {
  const outcomes = await Promise.all(Array.from({ length: 30 }, (_, index) => completeVia(backends, replica(index), { model: 'rpm' })));
  expect(outcomes.filter((outcome) => outcome.deployment === 'rpm')).toHaveLength(10);
  const refused = outcomes.filter((outcome) => outcome.error !== undefined);
  expect(refused).toHaveLength(20);
  expect(new Set(refused.map((outcome) => outcome.error))).toEqual(new Set(['deployment_limits_reached']));
  expect(Math.min(...refused.map((outcome) => outcome.retryAfterSeconds ?? 0))).toBeGreaterThan(0);
  expect(fakes.rpm!.requests).toHaveLength(10);
  let skipped = 0;
  for (const router of routers) {
    skipped += sampleValue(await scrapeMetrics(`http://127.0.0.1:${router.httpPort}/metrics`), 'sluice_deployment_limited_total', { deployment: 'rpm', limit: 'rpm' });
  }
  expect(skipped).toBe(20);
});

test('max_parallel_requests 2 across two replicas: two in flight at once, and the slots come back', async () => {
  const outcomes = await Promise.all(Array.from({ length: 6 }, (_, index) => completeVia(backends, replica(index), { model: 'parallel' })));
  expect(outcomes.filter((outcome) => outcome.deployment === 'parallel')).toHaveLength(2);
  expect(outcomes.filter((outcome) => outcome.error === 'deployment_limits_reached')).toHaveLength(4);
  const redis = backends.redis();
  await waitFor(async () => (await redis.zcard('router:limits:{parallel}:slots')) === 0, { message: 'parallel slots were not released' });
  const again = await Promise.all([completeVia(backends, replica(0), { model: 'parallel' }), completeVia(backends, replica(1), { model: 'parallel' })]);
  expect(again.map((outcome) => outcome.deployment)).toEqual(['parallel', 'parallel']);
  expect(fakes.parallel!.requests).toHaveLength(4);
});

test('tpm is settled to the usage the provider reported, and the other replica sees it', async () => {
  // The prompt is estimated at about 20 tokens; the provider reports 40.
  expect((await completeVia(backends, replica(0), { model: 'tpm' })).deployment).toBe('tpm');
  const redis = backends.redis();
  await waitFor(async () => (await redis.hget('router:limits:{tpm}', 'wt')) === '40', { message: 'tokens were not settled' });
  const second = await completeVia(backends, replica(1), { model: 'tpm' });
  expect(second.error).toBe('deployment_limits_reached');
  expect(fakes.tpm!.requests).toHaveLength(1);
});

test('a stream the client cancels gives its parallel slot back at once', async () => {
  const first = await completeVia(backends, replica(0), { model: 'stream', stream: true, cancelAfterStart: true });
  expect(first.deployment).toBe('stream');
  const redis = backends.redis();
  await waitFor(async () => (await redis.zcard('router:limits:{stream}:slots')) === 0, { timeoutMs: 3_000, message: 'the cancelled stream kept its slot' });
  const second = await completeVia(backends, replica(1), { model: 'stream', stream: true, cancelAfterStart: true });
  expect(second.deployment).toBe('stream');
});
