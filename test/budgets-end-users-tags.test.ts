// LiteLLM's budgets (budget_id), end users (customers: the request's `user`) and tag budgets: the admin
// routes in LiteLLM's shapes, their limits enforced by policy as scopes of the request, exact under
// concurrency across two policy replicas sharing Redis and Postgres, and changes seen by every replica.
import { limitStateNamespace } from '@sluice/common';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { holdsLeft, type PolicyStack, PRICE, RECORDED_USAGE, type Reply, request, startPolicyStack } from './helpers/policy-stack.js';
import { waitFor } from './helpers/wait-for.js';

/** What one non-streaming call of the recording costs at gpt-test's price, micro-USD. */
const CALL_COST = RECORDED_USAGE.prompt * PRICE.input + RECORDED_USAGE.completion * PRICE.output;
/** With this max_tokens the worst case of one call is just under $0.05. */
const MAX_TOKENS = 495;

let stack: PolicyStack;
let edgeB: string;

beforeAll(async () => {
  stack = await startPolicyStack('budgets16', { env: { SLUICE_POLICY_DEADLINE_MS: '5000', SLUICE_BUDGET_RESET_INTERVAL_MS: '250' } });
  edgeB = await stack.addReplica();
});

afterAll(async () => {
  await stack?.stop();
});

const post = async (path: string, body: unknown, edge?: string) => {
  const reply = await stack.admin('POST', path, body, undefined, edge);
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body;
};
const get = async (path: string) => {
  const reply = await stack.admin('GET', path);
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body;
};
const call = (key: string, edge?: string, body: Record<string, unknown> = {}) => stack.chat(key, { max_tokens: MAX_TOKENS, ...body }, edge);
/** A call with extra request headers (LiteLLM's x-litellm-customer-id, x-litellm-tags, ...). */
const callWith = (key: string, headers: Record<string, string>, edge = stack.edges[0]!) =>
  request(`${edge}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'gpt-test', max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: 'Invent a holiday' }] }),
  });
const budgetRefusal = (reply: Reply) => reply.status === 400 && reply.body.error.code === 'budget_exceeded';

async function ledger(where: string, value: unknown): Promise<{ spent: number; rows: number }> {
  const result = await stack.backends.sql.query<{ spent: number; rows: number }>(
    `SELECT COALESCE(sum(cost_micros), 0)::bigint AS spent, count(*)::int AS rows FROM spend_logs WHERE ${where}`,
    [value],
  );
  return { spent: Number(result.rows[0]!.spent), rows: Number(result.rows[0]!.rows) };
}

async function settled(where: string, value: unknown, admitted: number): Promise<void> {
  await waitFor(async () => (await ledger(where, value)).rows === admitted && (await holdsLeft(stack.backends)) === 0, {
    timeoutMs: 30_000,
    message: 'usage did not settle',
  });
}

describe('budgets (budget_id)', () => {
  test('/budget/new|info|list|update|delete answer in LiteLLM_BudgetTable fields; a linked budget cannot be deleted', async () => {
    const created = await post('/budget/new', { budget_id: 'tier-a', max_budget: 2.5, rpm_limit: 10, budget_duration: '30d', soft_budget: 2 });
    expect(created).toMatchObject({ budget_id: 'tier-a', max_budget: 2.5, soft_budget: 2, rpm_limit: 10, tpm_limit: null, budget_duration: '30d' });
    expect(typeof created.budget_reset_at).toBe('string');
    expect((await stack.admin('POST', '/budget/new', { budget_id: 'tier-a' })).status).toBe(409);
    expect((await post('/budget/info', { budgets: ['tier-a'] }))[0]).toMatchObject({ budget_id: 'tier-a', max_budget: 2.5 });
    expect((await get('/budget/list')).map((budget: { budget_id: string }) => budget.budget_id)).toContain('tier-a');
    expect(await post('/budget/update', { budget_id: 'tier-a', max_budget: 3, rpm_limit: null })).toMatchObject({ max_budget: 3, rpm_limit: null });
    const refused = await stack.admin('POST', '/budget/new', { budget_id: 'x', model_max_budget: {} });
    expect(refused.status).toBe(400);
    expect(refused.body.error.param).toBe('model_max_budget');

    const key = await post('/key/generate', { budget_id: 'tier-a' });
    expect(key.budget_id).toBe('tier-a');
    const inUse = await stack.admin('POST', '/budget/delete', { id: 'tier-a' });
    expect(inUse.status).toBe(400);
    expect(inUse.body.error.message).toContain('1 key');
    await post('/key/update', { key: key.key, budget_id: null });
    expect((await post('/budget/delete', { id: 'tier-a' })).budget_id).toBe('tier-a');
    expect((await stack.admin('POST', '/budget/info', { budgets: ['tier-a'] })).status).toBe(404);
  });

  test('/key/generate takes budget_id: the budget caps a key that sets no max_budget; a key\'s own field wins', async () => {
    await post('/budget/new', { budget_id: 'tier-small', max_budget: 0.05 });
    const capped = await post('/key/generate', { budget_id: 'tier-small' });
    expect((await call(capped.key)).status).toBe(200);
    await settled('key_hash = $1', capped.token, 1);
    // $0.036 of $0.05 spent: the next worst case does not fit, on either replica.
    const refusal = await call(capped.key, edgeB);
    expect(budgetRefusal(refusal)).toBe(true);
    expect(refusal.body.error.message).toContain('of a budget of $0.05');
    // /key/info counts spend in the period the budget runs, as the decision does.
    expect((await get(`/key/info?key=${capped.key}`)).info).toMatchObject({ budget_id: 'tier-small', spend_micros: CALL_COST });

    const own = await post('/key/generate', { budget_id: 'tier-small', max_budget: 10 });
    expect((await call(own.key)).status).toBe(200);
    await settled('key_hash = $1', own.token, 1);
    expect((await call(own.key, edgeB)).status).toBe(200);

    const unknown = await stack.admin('POST', '/key/generate', { budget_id: 'no-such-budget' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.param).toBe('budget_id');
  });

  test('/key/update links a budget; /budget/update reaches every replica at once', async () => {
    await post('/budget/new', { budget_id: 'tier-roomy', max_budget: 10 });
    const key = await post('/key/generate', {});
    expect((await post('/key/update', { key: key.key, budget_id: 'tier-roomy' })).budget_id).toBe('tier-roomy');
    // Both replicas have the key cached with the $10 budget.
    expect((await call(key.key)).status).toBe(200);
    expect((await call(key.key, edgeB)).status).toBe(200);
    await settled('key_hash = $1', key.token, 2);
    await post('/budget/update', { budget_id: 'tier-roomy', max_budget: 0.08 });
    // $0.073 spent of $0.08 now: refused on both replicas, with no wait for a cache to expire.
    expect(budgetRefusal(await call(key.key, edgeB))).toBe(true);
    expect(budgetRefusal(await call(key.key))).toBe(true);
  });

  test('a budget\'s budget_duration: when its period ends, every key spending in it starts again, on every replica', async () => {
    await post('/budget/new', { budget_id: 'tier-daily', max_budget: 0.05, budget_duration: '3s' });
    const key = await post('/key/generate', { budget_id: 'tier-daily' });
    expect((await call(key.key)).status).toBe(200);
    await settled('key_hash = $1', key.token, 1);
    expect(budgetRefusal(await call(key.key, edgeB))).toBe(true);
    // The reset job moves the budget's period and announces its keys: admitted again on both replicas.
    await waitFor(async () => (await call(key.key, edgeB)).status === 200, { timeoutMs: 15_000, message: 'the budget did not reset' });
    await settled('key_hash = $1', key.token, 2);
    const info = await post('/budget/info', { budgets: ['tier-daily'] });
    expect(Date.parse(info[0].budget_reset_at)).toBeGreaterThan(Date.now() - 3_000);
  });

  test('/organization/new takes budget_id; its budget caps the organisation\'s keys', async () => {
    await post('/budget/new', { budget_id: 'tier-org', max_budget: 0.05 });
    const organization = await post('/organization/new', { organization_alias: 'Budgeted Org', budget_id: 'tier-org' });
    expect(organization.budget_id).toBe('tier-org');
    const key = await post('/key/generate', { organization_id: organization.organization_id });
    expect((await call(key.key)).status).toBe(200);
    await settled('organization_id = $1', organization.organization_id, 1);
    const refused = await call(key.key, edgeB);
    expect(budgetRefusal(refused)).toBe(true);
    expect(refused.body.error.message).toContain(`organization ${organization.organization_id}`);
  });
});

describe('end users (customers)', () => {
  test('/customer/new sets an end user\'s budget; requests with that `user` are capped, others are not', async () => {
    const key = await post('/key/generate', {});
    const created = await post('/customer/new', { user_id: 'cust-1', alias: 'Customer One', max_budget: 0.05 });
    expect(created).toMatchObject({ user_id: 'cust-1', alias: 'Customer One', blocked: false, budget_id: null, litellm_budget_table: { max_budget: 0.05 } });
    expect((await call(key.key, undefined, { user: 'cust-1' })).status).toBe(200);
    await settled('end_user = $1', 'cust-1', 1);
    const refused = await call(key.key, edgeB, { user: 'cust-1' });
    expect(budgetRefusal(refused)).toBe(true);
    expect(refused.body.error.message).toContain('end user cust-1');
    expect((await call(key.key, edgeB, { user: 'someone-else' })).status).toBe(200);
    expect((await call(key.key, edgeB)).status).toBe(200);
    const info = await get('/customer/info?end_user_id=cust-1');
    expect(info).toMatchObject({ user_id: 'cust-1', spend_micros: CALL_COST });
    expect((await get('/end_user/info?end_user_id=cust-1')).user_id).toBe('cust-1');
    expect((await get('/customer/list')).map((customer: { user_id: string }) => customer.user_id)).toContain('cust-1');
    // Raising the budget on one replica admits on the other at once.
    await post('/customer/update', { user_id: 'cust-1', max_budget: 1 });
    expect((await call(key.key, edgeB, { user: 'cust-1' })).status).toBe(200);
  });

  test('/customer/block refuses the end user on every replica (LiteLLM\'s 400); /customer/unblock lets it back', async () => {
    const key = await post('/key/generate', {});
    expect((await call(key.key, edgeB, { user: 'cust-blocked' })).status).toBe(200);
    // Blocking an end user never seen creates it, as LiteLLM does.
    const blocked = await post('/customer/block', { user_ids: ['cust-blocked'] });
    expect(blocked.blocked_users[0]).toMatchObject({ user_id: 'cust-blocked', blocked: true });
    for (const edge of [undefined, edgeB]) {
      const refused = await call(key.key, edge, { user: 'cust-blocked' });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ code: 'end_user_blocked', message: expect.stringContaining('User=cust-blocked') });
    }
    await post('/customer/unblock', { user_ids: ['cust-blocked'] });
    expect((await call(key.key, edgeB, { user: 'cust-blocked' })).status).toBe(200);
    expect((await post('/customer/delete', { user_ids: ['cust-blocked'] })).deleted_customers).toEqual(['cust-blocked']);
    expect((await stack.admin('GET', '/customer/info?end_user_id=cust-blocked')).status).toBe(404);
  });

  test('an end user\'s budget_id, rpm_limit, and the fields refused by name', async () => {
    await post('/budget/new', { budget_id: 'tier-customer', rpm_limit: 1 });
    const key = await post('/key/generate', {});
    expect((await post('/customer/new', { user_id: 'cust-rpm', budget_id: 'tier-customer' })).litellm_budget_table).toMatchObject({ rpm_limit: 1 });
    expect((await call(key.key, undefined, { user: 'cust-rpm' })).status).toBe(200);
    const limited = await call(key.key, edgeB, { user: 'cust-rpm' });
    expect(limited.status).toBe(429);
    expect(limited.body.error.message).toContain('end user cust-rpm');
    for (const field of ['allowed_model_region', 'default_model', 'model_max_budget', 'spend', 'object_permission']) {
      const reply = await stack.admin('POST', '/customer/new', { user_id: 'cust-x', [field]: null });
      expect(reply.status).toBe(400);
      expect(reply.body.error.param).toBe(field);
    }
  });

  test('LiteLLM\'s end-user headers name the end user before the body\'s `user`, in policy and in the ledger', async () => {
    const key = await post('/key/generate', {});
    await post('/customer/new', { user_id: 'cust-header', max_budget: 0.05 });
    expect((await callWith(key.key, { 'x-litellm-customer-id': 'cust-header' })).status).toBe(200);
    await settled('end_user = $1', 'cust-header', 1);
    expect(budgetRefusal(await callWith(key.key, { 'x-litellm-end-user-id': 'cust-header' }, edgeB))).toBe(true);
    // The header wins over the body: the body's `user` is not who is counted.
    const viaHeader = await stack.chat(key.key, { max_tokens: MAX_TOKENS, user: 'someone-else' }, edgeB);
    expect(viaHeader.status).toBe(200);
  });
});

describe('tag budgets', () => {
  test('/tag/new with max_budget caps every request carrying the tag, from the request or from its key', async () => {
    const created = await post('/tag/new', { name: 'cost-center-a', description: 'A', max_budget: 0.05, budget_duration: '30d' });
    expect(created).toMatchObject({ name: 'cost-center-a', description: 'A', litellm_budget_table: { max_budget: 0.05, budget_duration: '30d' } });
    const plain = await post('/key/generate', {});
    expect((await call(plain.key, undefined, { metadata: { tags: ['cost-center-a', 'untracked'] } })).status).toBe(200);
    await settled('$1 = ANY(tags)', 'cost-center-a', 1);
    const refused = await call(plain.key, edgeB, { metadata: { tags: ['cost-center-a'] } });
    expect(budgetRefusal(refused)).toBe(true);
    expect(refused.body.error.message).toContain('tag cost-center-a');
    // A key tagged with it is capped too; untagged requests are not.
    const tagged = await post('/key/generate', { tags: ['cost-center-a'] });
    expect(budgetRefusal(await call(tagged.key))).toBe(true);
    expect((await call(plain.key, edgeB, { metadata: { tags: ['untracked'] } })).status).toBe(200);

    const info = await post('/tag/info', { names: ['cost-center-a'] });
    expect(info['cost-center-a']).toMatchObject({ name: 'cost-center-a', spend_micros: CALL_COST });
    expect((await get('/tag/list')).map((tag: { name: string }) => tag.name)).toContain('cost-center-a');
    await post('/tag/update', { name: 'cost-center-a', max_budget: null });
    expect((await call(tagged.key, edgeB)).status).toBe(200);
    expect((await post('/tag/delete', { name: 'cost-center-a' })).message).toContain('deleted');
    expect((await stack.admin('POST', '/tag/info', { names: ['cost-center-a'] })).status).toBe(404);
    // LiteLLM's x-litellm-tags header (comma-separated) tags a request as metadata.tags does.
    await post('/tag/new', { name: 'header-tag', max_budget: 0.05 });
    expect((await callWith(plain.key, { 'x-litellm-tags': 'other, header-tag' })).status).toBe(200);
    await settled('$1 = ANY(tags)', 'header-tag', 1);
    expect(budgetRefusal(await callWith(plain.key, { 'x-litellm-tags': 'header-tag' }, edgeB))).toBe(true);
    const models = await stack.admin('POST', '/tag/new', { name: 'x', models: ['gpt-test'] });
    expect(models.status).toBe(400);
    expect(models.body.error.param).toBe('models');
  });
});

describe('Tag and end-user budgets exact across two policy replicas', () => {
  for (const kind of ['tag', 'end user'] as const) {
    test(`a ${kind} budget of $0.50, 60 concurrent requests of up to $0.05 over two replicas: never more than $0.50`, async () => {
      const name = kind === 'tag' ? 'replica-tag' : 'replica-customer';
      if (kind === 'tag') await post('/tag/new', { name, max_budget: 0.5 });
      else await post('/customer/new', { user_id: name, max_budget: 0.5 });
      // Several keys, none with a budget of its own: only the tag or end user can refuse.
      const keys = await Promise.all(Array.from({ length: 3 }, () => post('/key/generate', {})));
      const body = kind === 'tag' ? { metadata: { tags: [name] } } : { user: name };
      const replies = await Promise.all(
        Array.from({ length: 60 }, (_, index) => call(keys[index % 3]!.key, index % 2 === 0 ? undefined : edgeB, body)),
      );
      const admitted = replies.filter((reply) => reply.status === 200).length;
      expect(replies.every((reply) => reply.status === 200 || budgetRefusal(reply))).toBe(true);
      // At least what the budget holds at the worst case; at most what it holds at the real cost.
      expect(admitted).toBeGreaterThanOrEqual(10);
      expect(admitted).toBeLessThanOrEqual(Math.floor(500_000 / CALL_COST));
      const where = kind === 'tag' ? '$1 = ANY(tags)' : 'end_user = $1';
      await settled(where, name, admitted);
      const spent = await ledger(where, name);
      expect(spent.spent).toBe(admitted * CALL_COST);
      expect(spent.spent).toBeLessThanOrEqual(500_000);
      // The live counter agrees with the ledger to the nano-dollar and holds nothing.
      const namespace = limitStateNamespace(stack.backends.env.SLUICE_REDIS_PREFIX!);
      const counters = await stack.backends.redis().hgetall(`${namespace}s:${kind === 'tag' ? 'g' : 'e'}:${name}`);
      expect(Number(counters.sp)).toBe(spent.spent * 1000);
      expect(Number(counters.rs)).toBe(0);
      // What the worst-case holds left free is used one call at a time, alternating replicas, until
      // refused; still never past the budget.
      let more = 0;
      for (; more < 10; more += 1) {
        const reply = await call(keys[more % 3]!.key, more % 2 === 0 ? undefined : edgeB, body);
        if (budgetRefusal(reply)) break;
        expect(reply.status).toBe(200);
        await settled(where, name, admitted + more + 1);
      }
      expect(more).toBeLessThan(10);
      expect((await ledger(where, name)).spent).toBeLessThanOrEqual(500_000);
      expect(budgetRefusal(await call(keys[1]!.key, more % 2 === 0 ? edgeB : undefined, body))).toBe(true);
    });
  }
});
