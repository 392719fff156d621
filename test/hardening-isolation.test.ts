// No request can harm another: a value the internal protocol cannot carry is a 400 for its own request
// only, a decision that never reaches the edge gives its holds back at once (not after the hold TTL),
// and a hold covers every answer a request asks for.
import { loadJsonFixture, replayOpenAiFixture, startService, startStack } from '@sluice/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { abandonMarkers, FIXTURE, holdsLeft, type PolicyStack, startPolicyStack } from './helpers/policy-stack.js';
import { waitFor } from './helpers/wait-for.js';

const recorded = loadJsonFixture('vercel-ai', FIXTURE);
let stack: PolicyStack;

beforeAll(async () => {
  stack = await startPolicyStack('hardening', { env: { SLUICE_POLICY_DEADLINE_MS: '3000' } });
});

afterAll(async () => {
  await stack?.stop();
});

const newKey = async (body: Record<string, unknown>) => {
  const created = await stack.admin('POST', '/key/generate', body);
  expect(created.status).toBe(200);
  return created.body as { key: string; token: string };
};
const keyInfo = async (key: string) => (await stack.admin('GET', `/key/info?key=${key}`)).body.info;

describe('a request the internal protocol cannot carry', () => {
  test('30 ordinary requests beside 10 with max_tokens 1e11 and a made-up key: all 30 succeed, the 10 get a 400 naming the field', async () => {
    const { key } = await newKey({});
    const ordinary = Array.from({ length: 30 }, () => stack.chat(key));
    const hostile = Array.from({ length: 10 }, (_, index) => stack.chat(`sk-made-up-${index}`, { max_tokens: 1e11 }));
    const [good, bad] = await Promise.all([Promise.all(ordinary), Promise.all(hostile)]);
    expect(good.map((reply) => reply.status)).toEqual(Array(30).fill(200));
    for (const reply of bad) {
      expect(reply.status).toBe(400);
      expect(reply.body.error.type).toBe('invalid_request_error');
      expect(reply.body.error.message).toContain('max_tokens');
    }
  });

  test('a key with max_parallel_requests 3 keeps all three slots after rounds of hostile requests beside slow ones of its own', async () => {
    const { key } = await newKey({ max_parallel_requests: 3 });
    stack.fake.respondWith(() => ({ json: recorded, delayMs: 300 }));
    try {
      for (let round = 0; round < 3; round += 1) {
        const slow = Array.from({ length: 3 }, () => stack.chat(key));
        const hostile = Array.from({ length: 10 }, () => stack.chat(key, { max_tokens: 1e11 }));
        const replies = await Promise.all([...slow, ...hostile]);
        expect(replies.slice(0, 3).map((reply) => reply.status)).toEqual([200, 200, 200]);
        expect(replies.slice(3).every((reply) => reply.status === 400)).toBe(true);
      }
      const next = await Promise.all(Array.from({ length: 3 }, () => stack.chat(key)));
      expect(next.map((reply) => reply.status)).toEqual([200, 200, 200]);
    } finally {
      stack.fake.respondWith(replayOpenAiFixture(FIXTURE));
    }
  });
});

describe('decisions that never reach the edge', () => {
  test('requests the edge gave up on (policy frozen past the deadline) hold nothing once policy answers again', async () => {
    const { key } = await newKey({ max_parallel_requests: 3, max_budget: 10 });
    // An edge of its own with a short deadline, in front of the same policy.
    const env = stack.stack.envOf('edge');
    const edge = await startService('edge', { ...env, SLUICE_EDGE_PORT: '0', SLUICE_EDGE_METRICS_PORT: '0', SLUICE_POLICY_DEADLINE_MS: '300' });
    stack.extra.push(edge);
    const edgeUrl = `http://127.0.0.1:${edge.ports.edge}`;
    const policy = stack.stack.services.policy.child;
    policy.kill('SIGSTOP');
    let replies;
    try {
      // The decisions wait in policy's socket; the edge answers 503 at its deadline and abandons them.
      replies = await Promise.all(Array.from({ length: 6 }, () => stack.chat(key, {}, edgeUrl)));
    } finally {
      policy.kill('SIGCONT');
    }
    expect(replies.map((reply) => reply.status)).toEqual(Array(6).fill(503));
    expect(replies[0]!.body.error.code).toBe('policy_unavailable');
    // Policy now decides them, and gives back what those decisions reserved at once. Once all six
    // abandon markers exist no hold can appear any more (a decision after its marker reserves nothing),
    // so "no holds" then means given back, not "not decided yet".
    await waitFor(async () => (await abandonMarkers(stack.backends)) === 6 && (await holdsLeft(stack.backends)) === 0, { timeoutMs: 5_000, intervalMs: 50 });
    const info = await keyInfo(key);
    expect(info.current_parallel_requests).toBe(0);
    expect(info.reserved_spend_micros).toBe(0);
    const next = await Promise.all(Array.from({ length: 3 }, () => stack.chat(key)));
    expect(next.map((reply) => reply.status)).toEqual([200, 200, 200]);
  });
});

describe('holds cover every answer', () => {
  test('a $0.005 budget and 8 concurrent requests with n 16 and max_tokens 100 (each up to $0.0032 at most): only one admitted', async () => {
    // gpt-test costs $100 per million output tokens here: 16 x 100 tokens is $0.16, so use a cheaper cap:
    // max_tokens 2 gives 16 x 2 x $0.0001 = $0.0032 of output per request, plus its prompt.
    const { key } = await newKey({ max_budget: 0.005 });
    const replies = await Promise.all(Array.from({ length: 8 }, () => stack.chat(key, { n: 16, max_tokens: 2 })));
    const admitted = replies.filter((reply) => reply.status === 200).length;
    expect(admitted).toBe(1);
    for (const reply of replies.filter((candidate) => candidate.status !== 200)) expect(reply.body.error.code).toBe('budget_exceeded');
  });
});

describe('two gateways on the same Postgres, Redis and NATS', () => {
  test('a key generated on one is usable on the other at once, 20 times in a row', async () => {
    // A second whole gateway (its own four services), as a second `npm start` on the same servers.
    const { SLUICE_CONFIG } = stack.stack.envOf('policy');
    const second = await startStack({ ...stack.backends.env, SLUICE_CONFIG: SLUICE_CONFIG!, SLUICE_POLICY_DEADLINE_MS: '3000' });
    try {
      for (let round = 0; round < 20; round += 1) {
        const { key } = await newKey({ key_alias: `two-gateways-${round}` });
        const [info, chat] = await Promise.all([
          stack.admin('GET', `/key/info?key=${key}`, undefined, undefined, second.edgeUrl),
          stack.chat(key, {}, second.edgeUrl),
        ]);
        expect([round, info.status, chat.status, chat.status === 200 ? '' : JSON.stringify(chat.body)]).toEqual([round, 200, 200, '']);
      }
    } finally {
      await second.stop();
    }
  });
});
