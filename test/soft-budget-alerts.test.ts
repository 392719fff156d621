// LiteLLM's soft_budget reaches the alerting that exists with no alerting channel configured at all:
// when a key's, team's or user's spend reaches it (set when created or by an update), accounting writes one
// log line and counts it once in sluice_budget_thresholds_total, and a further request past it adds nothing.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type PolicyStack, startPolicyStack } from './helpers/policy-stack.js';
import { waitFor } from './helpers/wait-for.js';

let stack: PolicyStack;

beforeAll(async () => {
  stack = await startPolicyStack('softbudget');
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const accountingLogs = () => stack.stack.services.accounting.logs.filter((line) => line.includes('budget threshold reached'));

async function thresholdCount(entityType: string, threshold: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${stack.stack.services.accounting.ports.http}/metrics`)).text();
  const line = text.split('\n').find((entry) => entry.startsWith(`sluice_budget_thresholds_total{entity_type="${entityType}",threshold="${threshold}"}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('soft_budget', () => {
  test('reached by a key, its team and its user: one log line and one count each, and no more after', async () => {
    await stack.admin('POST', '/user/new', { user_id: 'soft-user', soft_budget: 0.01, auto_create_key: false });
    const team = (await stack.admin('POST', '/team/new', { team_alias: 'Soft team', soft_budget: 0.02 })).body;
    expect(team.soft_budget).toBe(0.02);
    const key = (await stack.admin('POST', '/key/generate', { team_id: team.team_id, user_id: 'soft-user', soft_budget: 0.01 })).body;
    expect(key.soft_budget).toBe(0.01);
    const roomy = (await stack.admin('POST', '/key/generate', { soft_budget: 100 })).body;

    // One call costs $0.03646: past every soft budget above, far below the roomy key's.
    expect((await stack.chat(key.key)).status).toBe(200);
    expect((await stack.chat(roomy.key)).status).toBe(200);
    await waitFor(async () => (await thresholdCount('key', 'soft')) === 1 && (await thresholdCount('team', 'soft')) === 1 && (await thresholdCount('user', 'soft')) === 1, {
      timeoutMs: 30_000,
      message: 'the soft budget crossings were not counted',
    });
    await waitFor(() => accountingLogs().length >= 3, { timeoutMs: 5_000, message: 'the log lines did not arrive' });
    const lines = accountingLogs();
    expect(lines).toHaveLength(3);
    const keyLine = JSON.parse(lines.find((line) => line.includes(key.token_id))!);
    expect(keyLine).toMatchObject({ entityType: 'key', token: key.token_id, threshold: 'soft', softBudget: 0.01 });
    expect(keyLine.spend).toBeCloseTo(0.03646, 9);
    expect(lines.some((line) => line.includes(roomy.token_id))).toBe(false);
    // The log line names the key by its hash only.
    expect(lines.join('\n')).not.toContain(key.key);

    // Still past it: nothing new, on the log or the metric.
    expect((await stack.chat(key.key)).status).toBe(200);
    await waitFor(async () => Number((await stack.backends.sql.query<{ n: string }>('SELECT count(*) AS n FROM spend_logs WHERE key_hash = $1', [key.token_id])).rows[0]!.n) === 2, {
      timeoutMs: 30_000,
      message: 'the second request did not reach the ledger',
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(accountingLogs()).toHaveLength(3);
    expect(await thresholdCount('key', 'soft')).toBe(1);
  });

  test('set later by /key/update and /team/update, it is reached the same way', async () => {
    const team = (await stack.admin('POST', '/team/new', {})).body;
    const key = (await stack.admin('POST', '/key/generate', { team_id: team.team_id })).body;
    expect((await stack.admin('POST', '/key/update', { key: key.key, soft_budget: 0.01 })).body.soft_budget).toBe(0.01);
    expect((await stack.admin('POST', '/team/update', { team_id: team.team_id, soft_budget: 0.01 })).body.soft_budget).toBe(0.01);
    expect((await stack.chat(key.key)).status).toBe(200);
    await waitFor(async () => (await thresholdCount('key', 'soft')) === 2 && (await thresholdCount('team', 'soft')) === 2, {
      timeoutMs: 30_000,
      message: 'the soft budgets set by update were not counted',
    });
    // The line is written when the count is, but reaches this test through the process's stdout later.
    await waitFor(() => accountingLogs().some((line) => line.includes(key.token_id)), { timeoutMs: 5_000, message: 'no log line for the key' });
  });
});
