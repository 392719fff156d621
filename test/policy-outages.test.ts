// Redis or Postgres taken away from policy mid-run (through TCP proxies; the shared servers keep
// running): budgets fail closed with a 503 inside the decision deadline, rate limits fail open only when
// configured to, and keys already cached keep working while Postgres is away.
import {
  loadStreamPayloads,
  replayOpenAiFixture,
  startTcpProxy,
  TEST_POSTGRES_ADMIN_URL,
  TEST_REDIS_URL,
  type TcpProxy,
} from '@sluice/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FIXTURE, holdsLeft, type PolicyStack, type Reply, startPolicyStack } from './helpers/policy-stack.js';
import { waitFor } from './helpers/wait-for.js';

let stack: PolicyStack;
let redisProxy: TcpProxy;
let postgresProxy: TcpProxy;
/** An edge whose policy replica has rate_limit_failure_mode: fail_open. */
let failOpenEdge: string;

const hostAndPort = (url: string) => {
  const parsed = new URL(url);
  return [parsed.hostname, Number(parsed.port)] as const;
};

beforeAll(async () => {
  redisProxy = await startTcpProxy(...hostAndPort(TEST_REDIS_URL));
  postgresProxy = await startTcpProxy(...hostAndPort(TEST_POSTGRES_ADMIN_URL));
  stack = await startPolicyStack('outages', {
    // A short cache TTL, so cached keys are due for a refresh while Postgres is away.
    generalSettings: { user_api_key_cache_ttl: 1 },
  });
  // Policy reaches Redis and Postgres only through the proxies; the other services go direct.
  const throughProxies = {
    REDIS_URL: redisProxy.url(TEST_REDIS_URL),
    DATABASE_URL: postgresProxy.url(stack.backends.databaseUrl),
  };
  await stack.stack.kill('policy', 'SIGTERM');
  Object.assign(stack.stack.envOf('policy'), throughProxies);
  await stack.stack.restart('policy');
  failOpenEdge = await stack.addReplica({
    ...throughProxies,
    SLUICE_CONFIG: stack.configWith({ user_api_key_cache_ttl: 1, rate_limit_failure_mode: 'fail_open' }),
  });
});

afterAll(async () => {
  await stack?.stop();
  await redisProxy?.close();
  await postgresProxy?.close();
});

const newKey = async (body: Record<string, unknown>) => (await stack.admin('POST', '/key/generate', body)).body as { key: string; token: string };

async function timed(call: () => Promise<Reply>): Promise<Reply & { ms: number }> {
  const started = Date.now();
  const reply = await call();
  return { ...reply, ms: Date.now() - started };
}

describe('Redis unreachable', () => {
  test('budget checks answer 503 within the decision deadline; nothing hangs; service resumes', async () => {
    const budgeted = await newKey({ max_budget: 10 });
    const rateLimited = await newKey({ rpm_limit: 1000 });
    const unlimited = await newKey({});
    for (const key of [budgeted, rateLimited, unlimited]) {
      expect((await stack.chat(key.key)).status).toBe(200);
      expect((await stack.chat(key.key, {}, failOpenEdge)).status).toBe(200);
    }

    await redisProxy.stop();
    try {
      const replies = await Promise.all(Array.from({ length: 20 }, () => timed(() => stack.chat(budgeted.key))));
      for (const reply of replies) {
        expect(reply.status).toBe(503);
        // limits_unavailable comes from policy itself: had it missed the deadline, the edge would have
        // answered policy_unavailable ("timed out") instead.
        expect(reply.body.error.code).toBe('limits_unavailable');
        expect(reply.headers.get('retry-after')).toBe('1');
        expect(reply.ms).toBeLessThan(5_000);
      }
      // Budgets fail closed even where rate limits are configured to fail open.
      expect((await stack.chat(budgeted.key, {}, failOpenEdge)).body.error.code).toBe('limits_unavailable');
      // Rate limits: closed by default, open where configured.
      expect((await stack.chat(rateLimited.key)).body.error.code).toBe('limits_unavailable');
      expect((await stack.chat(rateLimited.key, {}, failOpenEdge)).status).toBe(200);
      // Nothing to enforce: served.
      expect((await stack.chat(unlimited.key)).status).toBe(200);
      // The admin API still reports spend, from the ledger.
      const info = await stack.admin('GET', `/key/info?key=${budgeted.key}`);
      expect(info.status).toBe(200);
      expect(info.body.info.spend_source).toBe('ledger');
    } finally {
      await redisProxy.start();
    }
    await waitFor(async () => (await stack.chat(budgeted.key)).status === 200, { timeoutMs: 15_000, message: 'policy did not reconnect to Redis' });
    expect((await stack.chat(rateLimited.key)).status).toBe(200);
  });
});

describe('usage settled across a Redis outage', () => {
  test('a request that ends while Redis is away is counted when it comes back, however long that takes', async () => {
    const key = await newKey({ max_budget: 10 });
    await waitFor(async () => (await holdsLeft(stack.backends)) === 0, { timeoutMs: 10_000 });
    stack.fake.respondWith(() => ({ sse: loadStreamPayloads('vercel-ai', FIXTURE), pieceDelayMs: 20 }));
    try {
      const streaming = stack.chat(key.key, { stream: true });
      await waitFor(async () => (await holdsLeft(stack.backends)) === 1, { timeoutMs: 10_000, intervalMs: 20 });
      await redisProxy.stop();
      const streamed = await streaming;
      expect({ status: streamed.status, done: String(streamed.body).includes('data: [DONE]') }).toEqual({ status: 200, done: true });
      // Longer than the stream's redelivery limit (SLUICE_USAGE_MAX_DELIVER x the 1 s retry delay): the
      // policy consumer must keep the event rather than give up on it.
      await new Promise((resolve) => setTimeout(resolve, 7_000));
    } finally {
      stack.fake.respondWith(replayOpenAiFixture(FIXTURE));
      await redisProxy.start();
    }
    const ledger = async () =>
      Number(
        (await stack.backends.sql.query<{ spent: number }>('SELECT COALESCE(sum(cost_micros), 0)::bigint AS spent FROM spend_logs WHERE key_hash = $1', [key.token]))
          .rows[0]!.spent,
      );
    await waitFor(async () => (await ledger()) > 0 && (await holdsLeft(stack.backends)) === 0, { timeoutMs: 20_000, message: 'the usage event was not settled' });
    const info = await stack.admin('GET', `/key/info?key=${key.key}`);
    expect(info.body.info).toMatchObject({ spend_micros: await ledger(), reserved_spend_micros: 0, spend_source: 'live' });
    await waitFor(async () => (await stack.chat(key.key)).status === 200, { timeoutMs: 15_000 });
  });
});

describe('Postgres unreachable', () => {
  test('keys already cached keep working; unknown ones get a 503, not a 401', async () => {
    const cached = await newKey({ max_budget: 10, rpm_limit: 1000 });
    const neverUsed = await newKey({});
    const first = await stack.chat(cached.key);
    expect(first.body).not.toHaveProperty('error');

    await postgresProxy.stop();
    try {
      // Past the cache TTL: the refresh fails, the cached copy keeps answering.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      for (let index = 0; index < 5; index += 1) expect((await stack.chat(cached.key)).status).toBe(200);
      const unknown = await stack.chat(neverUsed.key);
      expect(unknown.status).toBe(503);
      expect(unknown.body.error.code).toBe('policy_unavailable');
      const admin = await stack.admin('POST', '/key/generate', {});
      expect(admin.status).toBe(503);
    } finally {
      await postgresProxy.start();
    }
    await waitFor(async () => (await stack.chat(neverUsed.key)).status === 200, { timeoutMs: 15_000, message: 'policy did not reconnect to Postgres' });
  });
});
