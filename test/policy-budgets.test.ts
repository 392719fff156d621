// Budgets as hard caps under concurrency and across replicas: reservations, settlement to the ledger's
// exact cost, team and organisation budgets, live spend, rebuilding Redis from Postgres, and resets.
import { limitStateNamespace } from '@sluice/common';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { holdsLeft, type PolicyStack, PRICE, RECORDED_USAGE, type Reply, startPolicyStack } from './helpers/policy-stack.js';
import { waitFor } from './helpers/wait-for.js';

/** What one non-streaming call of the recording costs at gpt-test's price. */
const CALL_COST = RECORDED_USAGE.prompt * PRICE.input + RECORDED_USAGE.completion * PRICE.output;
/** With this max_tokens the worst case of one call is just under $0.05. */
const MAX_TOKENS = 495;

let stack: PolicyStack;
let edgeB: string;

beforeAll(async () => {
  stack = await startPolicyStack('budgets', { env: { SLUICE_POLICY_DEADLINE_MS: '5000', SLUICE_BUDGET_RESET_INTERVAL_MS: '250' } });
  edgeB = await stack.addReplica();
});

afterAll(async () => {
  await stack?.stop();
});

const post = async (path: string, body: unknown) => {
  const reply = await stack.admin('POST', path, body);
  expect(reply.status).toBe(200);
  return reply.body;
};
const get = async (path: string) => (await stack.admin('GET', path)).body;
const call = (key: string, edge?: string, body: Record<string, unknown> = {}) => stack.chat(key, { max_tokens: MAX_TOKENS, ...body }, edge);

async function ledgerSum(column: string, value: string): Promise<{ spent: number; rows: number }> {
  const result = await stack.backends.sql.query<{ spent: number; rows: number }>(
    `SELECT COALESCE(sum(cost_micros), 0)::bigint AS spent, count(*)::int AS rows FROM spend_logs WHERE ${column} = $1`,
    [value],
  );
  return { spent: Number(result.rows[0]!.spent), rows: Number(result.rows[0]!.rows) };
}

/** Waits until the usage of every admitted call is settled in Redis and written to the ledger. */
async function settled(column: string, value: string, admitted: number): Promise<void> {
  await waitFor(async () => (await ledgerSum(column, value)).rows === admitted && (await holdsLeft(stack.backends)) === 0, {
    timeoutMs: 30_000,
    message: 'usage did not settle',
  });
}

const budgetRefusal = (reply: Reply) => reply.status === 400 && reply.body.error.code === 'budget_exceeded';

describe('a key budget is a hard cap', () => {
  test('$1.00, 100 concurrent requests of up to $0.05 each over two replicas: never more than $1.00', async () => {
    const key = await post('/key/generate', { max_budget: 1 });
    const replies = await Promise.all(Array.from({ length: 100 }, (_, index) => call(key.key, index % 2 === 0 ? undefined : edgeB)));
    const admitted = replies.filter((reply) => reply.status === 200).length;
    expect(replies.every((reply) => reply.status === 200 || budgetRefusal(reply))).toBe(true);
    // At least what the budget can hold at the worst case; at most what it can hold at the real cost.
    expect(admitted).toBeGreaterThanOrEqual(20);
    expect(admitted).toBeLessThanOrEqual(Math.floor(1_000_000 / CALL_COST));

    await settled('key_hash', key.token, admitted);
    const ledger = await ledgerSum('key_hash', key.token);
    expect(ledger.spent).toBe(admitted * CALL_COST);
    expect(ledger.spent).toBeLessThanOrEqual(1_000_000);
    const redis = stack.backends.redis();
    const keyId = (await stack.backends.sql.query<{ key_id: string }>('SELECT key_id FROM api_keys WHERE token = $1', [key.token])).rows[0]!.key_id;
    // The live counters count nano-USD, under the limit state's namespace.
    const namespace = limitStateNamespace(stack.backends.env.SLUICE_REDIS_PREFIX!);
    const counters = await redis.hgetall(`${namespace}s:k:${keyId}`);
    expect(Number(counters.sp)).toBe(ledger.spent * 1000);
    expect(Number(counters.rs)).toBe(0);
    expect(await redis.zcard(`${namespace}zc:k:${keyId}`)).toBe(0);
    const info = await get(`/key/info?key=${key.key}`);
    expect(info.info).toMatchObject({ spend_micros: ledger.spent, reserved_spend_micros: 0, spend: ledger.spent / 1_000_000 });
  });

  test('budget_exceeded is a 400 the official client does not retry', async () => {
    const key = await post('/key/generate', { max_budget: 0.01 });
    const requestsBefore = stack.fake.requests.length;
    const client = new OpenAI({ baseURL: `${stack.edges[0]}/v1`, apiKey: key.key, maxRetries: 2 });
    const error = await client.chat.completions
      .create({ model: 'gpt-test', max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('budget_exceeded');
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/Budget exceeded for key/);
    expect(stack.fake.requests.length).toBe(requestsBefore);
  });

  test('a per-model budget caps that model only', async () => {
    const key = await post('/key/generate', { model_max_budget: { 'gpt-test': { budget_limit: 0.05 } } });
    expect((await call(key.key)).status).toBe(200);
    await settled('key_hash', key.token, 1);
    const refused = await call(key.key, edgeB);
    expect(budgetRefusal(refused)).toBe(true);
    expect(refused.body.error.message).toContain('key for model gpt-test');
    expect((await call(key.key, edgeB, { model: 'other-model' })).status).toBe(200);
  });
});

describe('team and organisation budgets cap their keys', () => {
  test('a team budget stops every key of the team; the most restrictive budget wins', async () => {
    const team = await post('/team/new', { max_budget: 0.1 });
    const first = await post('/key/generate', { team_id: team.team_id, max_budget: 10 });
    const second = await post('/key/generate', { team_id: team.team_id, max_budget: 10 });
    expect((await call(first.key)).status).toBe(200);
    await settled('team_id', team.team_id, 1);
    expect((await call(second.key, edgeB)).status).toBe(200);
    await settled('team_id', team.team_id, 2);
    // 2 x CALL_COST spent; a third call's worst case would pass $0.10.
    for (const key of [first.key, second.key]) {
      const refused = await call(key);
      expect(budgetRefusal(refused)).toBe(true);
      expect(refused.body.error.message).toContain(`team ${team.team_id}`);
    }
    const info = await get(`/team/info?team_id=${team.team_id}`);
    expect(info.team_info).toMatchObject({ spend_micros: 2 * CALL_COST, max_budget: 0.1 });
    expect(info.keys.map((key: { spend_micros: number }) => key.spend_micros)).toEqual([CALL_COST, CALL_COST]);

    // Inside a generous team, the key's own smaller budget is the one that refuses.
    const roomy = await post('/team/new', { max_budget: 100 });
    const small = await post('/key/generate', { team_id: roomy.team_id, max_budget: 0.06 });
    expect((await call(small.key)).status).toBe(200);
    await settled('key_hash', small.token, 1);
    const refused = await call(small.key);
    expect(budgetRefusal(refused)).toBe(true);
    expect(refused.body.error.message).toContain('for key');
  });

  test("an organisation budget caps all of its teams' keys", async () => {
    const organization = await post('/organization/new', { organization_alias: 'capped', max_budget: 0.08 });
    const teamA = await post('/team/new', { organization_id: organization.organization_id });
    const teamB = await post('/team/new', { organization_id: organization.organization_id });
    const keyA = await post('/key/generate', { team_id: teamA.team_id });
    const keyB = await post('/key/generate', { team_id: teamB.team_id });
    expect((await call(keyA.key)).status).toBe(200);
    await settled('organization_id', organization.organization_id, 1);
    const refused = await call(keyB.key, edgeB);
    expect(budgetRefusal(refused)).toBe(true);
    expect(refused.body.error.message).toContain(`organization ${organization.organization_id}`);
    const info = await get(`/organization/info?organization_id=${organization.organization_id}`);
    expect(info.spend_micros).toBe(CALL_COST);
  });

  test('a user budget caps all of their keys', async () => {
    const user = await post('/user/new', { user_id: 'budgeted-user', max_budget: 0.06, auto_create_key: false });
    const keyA = await post('/key/generate', { user_id: user.user_id });
    const keyB = await post('/key/generate', { user_id: user.user_id });
    expect((await call(keyA.key)).status).toBe(200);
    await settled('user_id', user.user_id, 1);
    expect(budgetRefusal(await call(keyB.key))).toBe(true);
  });
});

describe('spend is live, rebuilt when Redis loses it, and reset on schedule', () => {
  test('/key/info shows each request as soon as its usage event is settled', async () => {
    const key = await post('/key/generate', {});
    for (let index = 1; index <= 3; index += 1) {
      expect((await call(key.key, index % 2 === 0 ? edgeB : undefined)).status).toBe(200);
      await waitFor(async () => (await get(`/key/info?key=${key.key}`)).info.spend_micros === index * CALL_COST, { timeoutMs: 10_000 });
    }
  });

  test('Redis counters are rebuilt from the ledger when Redis is empty', async () => {
    const team = await post('/team/new', { max_budget: 0.1 });
    const key = await post('/key/generate', { team_id: team.team_id });
    expect((await call(key.key)).status).toBe(200);
    expect((await call(key.key, edgeB)).status).toBe(200);
    await settled('team_id', team.team_id, 2);

    // Everything this run has in Redis is gone, as after a flush or a restart without persistence.
    const redis = stack.backends.redis();
    const prefix = stack.backends.env.SLUICE_REDIS_PREFIX!;
    const keys = await redis.keys(`${prefix}*`);
    const namespace = limitStateNamespace(prefix);
    expect(keys.some((name) => name.startsWith(`${prefix}${namespace}s:`))).toBe(true);
    await redis.del(...keys.map((name) => name.slice(prefix.length)));
    expect(await redis.keys(`${prefix}${namespace}s:*`)).toEqual([]);

    const info = await get(`/team/info?team_id=${team.team_id}`);
    expect(info.team_info.spend_micros).toBe(2 * CALL_COST);
    // Still enforced: the rebuilt team counter refuses a third call on both replicas.
    expect(budgetRefusal(await call(key.key))).toBe(true);
    expect(budgetRefusal(await call(key.key, edgeB))).toBe(true);
  });

  test('budget_duration resets spend when the period ends, and /key/info shows when', async () => {
    const key = await post('/key/generate', { max_budget: 0.05, budget_duration: '3s' });
    const resetAt = Date.parse(key.budget_reset_at);
    expect(resetAt).toBeGreaterThan(Date.now());
    expect(resetAt).toBeLessThanOrEqual(Date.now() + 3_000);
    expect((await call(key.key)).status).toBe(200);
    await settled('key_hash', key.token, 1);
    expect(budgetRefusal(await call(key.key, edgeB))).toBe(true);
    await waitFor(async () => Date.parse((await get(`/key/info?key=${key.key}`)).info.budget_reset_at) > resetAt, {
      timeoutMs: 15_000,
      message: 'budget was not reset',
    });
    const info = (await get(`/key/info?key=${key.key}`)).info;
    expect(info.spend_micros).toBe(0);
    // The schedule is kept: resets stay whole periods apart from the first one.
    expect((Date.parse(info.budget_reset_at) - resetAt) % 3_000).toBe(0);
    expect((await call(key.key, edgeB)).status).toBe(200);
  });
});
