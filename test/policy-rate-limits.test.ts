// RPM, TPM and parallel limits held exactly across two policy replicas (each with its own edge, as two
// pods), and admin changes reaching both replicas at once.
import { loadJsonFixture, loadStreamPayloads, replayOpenAiFixture } from '@sluice/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FIXTURE, type PolicyStack, RECORDED_STREAM_USAGE, type Reply, startPolicyStack } from './helpers/policy-stack.js';
import { waitFor } from './helpers/wait-for.js';

const payloads = loadStreamPayloads('vercel-ai', FIXTURE);
const recorded = loadJsonFixture('vercel-ai', FIXTURE);
const restoreProvider = () => stack.fake.respondWith(replayOpenAiFixture(FIXTURE));

let stack: PolicyStack;
let edgeA: string;
let edgeB: string;

beforeAll(async () => {
  // Counts are what is tested here, not latency: a generous deadline keeps a busy machine from turning
  // slow decisions into 503s.
  stack = await startPolicyStack('ratelimits', { env: { SLUICE_POLICY_DEADLINE_MS: '5000' } });
  edgeA = stack.edges[0]!;
  edgeB = await stack.addReplica();
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

/** Spreads the calls over both replicas, alternating. */
const spread = (count: number, call: (edge: string) => Promise<Reply>) =>
  Promise.all(Array.from({ length: count }, (_, index) => call(index % 2 === 0 ? edgeA : edgeB)));

const statuses = (replies: Reply[]) => replies.map((reply) => reply.status);
const count = (replies: Reply[], status: number) => replies.filter((reply) => reply.status === status).length;

describe('requests per minute', () => {
  test('200 concurrent requests over two replicas on rpm_limit 100: exactly 100 admitted', async () => {
    const { key } = await newKey({ rpm_limit: 100 });
    const replies = await spread(200, (edge) => stack.chat(key, {}, edge));
    const odd = replies.filter((reply) => reply.status !== 200 && reply.status !== 429);
    expect(odd.map((reply) => JSON.stringify(reply.body))).toEqual([]);
    expect(count(replies, 200)).toBe(100);
    expect(count(replies, 429)).toBe(100);
    for (const reply of replies.filter((candidate) => candidate.status === 429)) {
      const retryAfter = Number(reply.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(reply.body.error).toMatchObject({ code: 'rate_limit_requests', type: 'rate_limit_error' });
      expect(reply.headers.get('x-ratelimit-limit-requests')).toBe('100');
      expect(reply.headers.get('x-ratelimit-remaining-requests')).toBe('0');
      expect(reply.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+s$/);
    }
    const remaining = replies
      .filter((reply) => reply.status === 200)
      .map((reply) => Number(reply.headers.get('x-ratelimit-remaining-requests')))
      .sort((a, b) => a - b);
    // Every admitted request saw its own place in the window: 99, 98, ..., 0, each once.
    expect(remaining).toEqual(Array.from({ length: 100 }, (_, index) => index));
  });

  test('at limit - 1, exactly one of 50 concurrent requests is admitted, 20 times out of 20', async () => {
    for (let round = 0; round < 20; round += 1) {
      const { key } = await newKey({ rpm_limit: 5 });
      for (let index = 0; index < 4; index += 1) {
        expect((await stack.chat(key, {}, index % 2 === 0 ? edgeA : edgeB)).status).toBe(200);
      }
      const replies = await spread(50, (edge) => stack.chat(key, {}, edge));
      expect({ round, admitted: count(replies, 200), refused: count(replies, 429) }).toEqual({ round, admitted: 1, refused: 49 });
    }
  });

  test('the most restrictive of key and team limits wins, and the headers show it', async () => {
    const team = await stack.admin('POST', '/team/new', { rpm_limit: 3 });
    const loose = await newKey({ team_id: team.body.team_id, rpm_limit: 100 });
    const other = await newKey({ team_id: team.body.team_id });
    const first = await stack.chat(loose.key, {}, edgeA);
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('3');
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('2');
    expect((await stack.chat(other.key, {}, edgeB)).status).toBe(200);
    expect((await stack.chat(loose.key, {}, edgeB)).status).toBe(200);
    const refused = await stack.chat(other.key, {}, edgeA);
    expect(refused.status).toBe(429);
    expect(refused.body.error.message).toContain(`team ${team.body.team_id}`);

    const tight = await newKey({ team_id: (await stack.admin('POST', '/team/new', { rpm_limit: 100 })).body.team_id, rpm_limit: 2 });
    expect(statuses([await stack.chat(tight.key, {}, edgeA), await stack.chat(tight.key, {}, edgeB)])).toEqual([200, 200]);
    const keyRefused = await stack.chat(tight.key, {}, edgeA);
    expect(keyRefused.status).toBe(429);
    expect(keyRefused.body.error.message).toContain('key: 2 requests per minute');
    expect(keyRefused.headers.get('x-ratelimit-limit-requests')).toBe('2');
  });

  test('a per-model rpm limit applies to that model only', async () => {
    const { key } = await newKey({ model_rpm_limit: { 'gpt-test': 1 } });
    expect((await stack.chat(key, {}, edgeA)).status).toBe(200);
    expect((await stack.chat(key, {}, edgeB)).status).toBe(429);
    expect((await stack.chat(key, { model: 'other-model' }, edgeB)).status).toBe(200);
  });
});

describe('tokens per minute', () => {
  const streamBody = { stream: true, max_tokens: 10 };
  /** What the edge estimates for the body above: bytes / 4 for the prompt, plus max_tokens. */
  const estimate = (body: Record<string, unknown>) =>
    Math.ceil(JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'Invent a holiday' }], ...body }).length / 4) +
    (body.max_tokens as number);
  const streamTokens = RECORDED_STREAM_USAGE.prompt + RECORDED_STREAM_USAGE.completion;

  test('streams are counted at their real usage, which arrives only at the end', async () => {
    const limit = 1000;
    const { key } = await newKey({ tpm_limit: limit });
    let admitted = 0;
    for (;;) {
      const reply = await stack.chat(key, streamBody, admitted % 2 === 0 ? edgeA : edgeB);
      if (reply.status === 429) {
        expect(reply.body.error.code).toBe('rate_limit_tokens');
        expect(reply.headers.get('x-ratelimit-limit-tokens')).toBe(String(limit));
        expect(reply.headers.get('x-ratelimit-remaining-tokens')).toBe('0');
        expect(Number(reply.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        break;
      }
      expect(reply.status).toBe(200);
      expect(String(reply.body)).toContain('data: [DONE]');
      admitted += 1;
      // The window is charged the stream's real usage once its usage event is settled.
      await waitFor(async () => (await keyInfo(key)).current_tpm === admitted * streamTokens, { timeoutMs: 10_000 });
      expect(admitted).toBeLessThan(10);
    }
    // Admitted while the real usage so far plus this request's estimate fitted; estimates alone would admit ~26.
    const expected = Math.floor((limit - estimate(streamBody)) / streamTokens) + 1;
    expect(admitted).toBe(expected);
    expect((await keyInfo(key)).current_tpm).toBe(admitted * streamTokens);
  });

  test('streams in flight hold their estimate: concurrent streams cannot overshoot the limit', async () => {
    stack.fake.respondWith(() => ({ sse: payloads, pieceDelayMs: 5 }));
    try {
      const body = { stream: true, max_tokens: 200 };
      const limit = 1000;
      const { key } = await newKey({ tpm_limit: limit });
      const replies = await spread(10, (edge) => stack.chat(key, body, edge));
      expect(count(replies, 200)).toBe(Math.floor(limit / estimate(body)));
      expect(count(replies, 429)).toBe(10 - Math.floor(limit / estimate(body)));
    } finally {
      restoreProvider();
    }
  });
});

describe('parallel requests', () => {
  test('max_parallel_requests across replicas, and the slot comes back as soon as a response ends', async () => {
    stack.fake.respondWith(() => ({ json: recorded, delayMs: 400 }));
    try {
      const { key } = await newKey({ max_parallel_requests: 2 });
      const replies = await spread(6, (edge) => stack.chat(key, {}, edge));
      expect(count(replies, 200)).toBe(2);
      expect(count(replies, 429)).toBe(4);
      for (const reply of replies.filter((candidate) => candidate.status === 429)) {
        expect(reply.body.error.code).toBe('parallel_request_limit');
        expect(reply.headers.get('retry-after')).toBe('1');
      }
      restoreProvider();
      // One request after another never finds its own previous request still holding the slot.
      const sequential = await newKey({ max_parallel_requests: 1 });
      for (let index = 0; index < 10; index += 1) {
        expect((await stack.chat(sequential.key, {}, index % 2 === 0 ? edgeA : edgeB)).status).toBe(200);
      }
    } finally {
      restoreProvider();
    }
  });
});

describe('admin changes reach every replica', () => {
  test('a blocked key is refused by both replicas within 1 s', async () => {
    const { key } = await newKey({});
    expect(statuses([await stack.chat(key, {}, edgeA), await stack.chat(key, {}, edgeB)])).toEqual([200, 200]);
    const blockedAt = Date.now();
    expect((await stack.admin('POST', '/key/block', { key }, undefined, edgeA)).status).toBe(200);
    const refusedAt: number[] = [];
    for (const edge of [edgeB, edgeA]) {
      await waitFor(async () => (await stack.chat(key, {}, edge)).status === 401, { timeoutMs: 1_000, intervalMs: 20 });
      refusedAt.push(Date.now() - blockedAt);
    }
    for (const elapsed of refusedAt) expect(elapsed).toBeLessThan(1_000);
    const reply = await stack.chat(key, {}, edgeB);
    expect(reply.body.error.code).toBe('key_blocked');
  });

  test("a regenerated key's old value stops working at once on both replicas", async () => {
    const { key, token } = await newKey({});
    expect(statuses([await stack.chat(key, {}, edgeA), await stack.chat(key, {}, edgeB)])).toEqual([200, 200]);
    const regenerated = await stack.admin('POST', '/key/regenerate', { key: token }, undefined, edgeB);
    expect(regenerated.status).toBe(200);
    // The very next request on each replica, with no waiting.
    expect(statuses([await stack.chat(key, {}, edgeA), await stack.chat(key, {}, edgeB)])).toEqual([401, 401]);
    expect(statuses([await stack.chat(regenerated.body.key, {}, edgeA), await stack.chat(regenerated.body.key, {}, edgeB)])).toEqual([200, 200]);
  });

  test('a limit change made on one replica applies on the other', async () => {
    const { key } = await newKey({ rpm_limit: 50 });
    expect((await stack.chat(key, {}, edgeB)).headers.get('x-ratelimit-limit-requests')).toBe('50');
    await stack.admin('POST', '/key/update', { key, rpm_limit: 40 }, undefined, edgeA);
    expect((await stack.chat(key, {}, edgeB)).headers.get('x-ratelimit-limit-requests')).toBe('40');
  });
});
