// Budget alerts from accounting to a local receiver standing in for Slack and a generic webhook: each
// threshold (soft budget, 50/80/100/300% of max_budget) per key, team and organisation is sent once per
// budget period, on every channel; a receiver that fails is retried with backoff and, when it stays
// down, the sweep delivers later; a restart sends nothing twice; and a receiver that hangs never holds
// up the ledger (nothing on a request's path waits for alerts at all).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { UsageBus } from '@sluice/common';
import { createTestBackends, type ServiceProcess, type TestBackends, writeConfigFile } from '@sluice/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startAccountingProcess, stopProcess } from './helpers/accounting-process.js';
import { connectTestBus, publishAll, usageEvent } from './helpers/usage-events.js';
import { waitFor } from './helpers/wait-for.js';

interface Received {
  channel: 'slack' | 'webhook';
  body: Record<string, unknown>;
  /** The receiver answered 2xx (counts as delivered). */
  accepted: boolean;
}

const KEY_HASH = 'a'.repeat(64);
const received: Received[] = [];
/** Per channel: how to answer the next requests ('fail' = 500, 'hang' = never answer, 'ok'). */
const plans: Record<'slack' | 'webhook', Array<'fail' | 'hang'>> = { slack: [], webhook: [] };
let receiver: Server;
let receiverUrl: string;
let backends: TestBackends;
let bus: UsageBus;
let accounting: ServiceProcess;
let env: Record<string, string>;
let sequence = 0;

async function startReceiver(): Promise<void> {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const channel = request.url === '/slack' ? 'slack' : 'webhook';
      const plan = plans[channel].shift();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      received.push({ channel, body, accepted: plan === undefined });
      if (plan === 'hang') return;
      response.writeHead(plan === 'fail' ? 500 : 200, { 'content-type': 'text/plain' }).end(plan === 'fail' ? 'no' : 'ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
}

/** Delivered alerts as "channel entity threshold". */
function delivered(): string[] {
  return received
    .filter((entry) => entry.accepted)
    .map((entry) => {
      if (entry.channel === 'slack') return `slack ${String(entry.body.text)}`;
      return `webhook ${String(entry.body.event_group)} ${String(entry.body.entity_id)} ${String(entry.body.threshold)}`;
    })
    .sort();
}

async function spend(costMicros: number): Promise<void> {
  sequence += 1;
  await publishAll(bus, [
    usageEvent(sequence, {
      requestId: `alert-req-${sequence}`,
      keyHash: KEY_HASH,
      keyAlias: 'alerts-key',
      teamId: 'team-alerts',
      userId: '',
      organizationId: 'org-alerts',
      costMicros,
      startTimeMs: Date.now(),
      firstTokenTimeMs: Date.now(),
      endTimeMs: Date.now(),
    }),
  ]);
}

async function ledgerRows(): Promise<number> {
  const result = await backends.sql.query<{ count: string }>('SELECT count(*)::text AS count FROM spend_logs');
  return Number(result.rows[0]!.count);
}

beforeAll(async () => {
  await startReceiver();
  backends = await createTestBackends('alerts');
  env = {
    ...backends.env,
    SLUICE_CONFIG: writeConfigFile({ model_list: [], general_settings: { alerting: ['slack', 'webhook'], alert_types: ['budget_alerts', 'llm_exceptions'] } }),
    SLACK_WEBHOOK_URL: `${receiverUrl}/slack`,
    WEBHOOK_URL: `${receiverUrl}/webhook`,
    SLUICE_ALERT_ATTEMPTS: '3',
    SLUICE_ALERT_RETRY_BASE_MS: '100',
    SLUICE_ALERT_SWEEP_INTERVAL_MS: '1000',
    SLUICE_LEDGER_BATCH_WAIT_MS: '20',
  };
  accounting = await startAccountingProcess(env);
  // Budgets in micro-USD: key $2, team $4 with a $1 soft budget, organisation $10.
  const periodStart = new Date(Date.now() - 60_000);
  await backends.sql.query(`INSERT INTO organizations (organization_id, organization_alias, max_budget_micros, budget_period_start) VALUES ('org-alerts', 'Alerts Org', 10000000, $1)`, [periodStart]);
  await backends.sql.query(
    `INSERT INTO teams (team_id, team_alias, organization_id, max_budget_micros, soft_budget_micros, budget_period_start) VALUES ('team-alerts', 'Alerts Team', 'org-alerts', 4000000, 1000000, $1)`,
    [periodStart],
  );
  await backends.sql.query(
    `INSERT INTO api_keys (key_id, token, key_name, key_alias, team_id, organization_id, max_budget_micros, budget_period_start) VALUES ('key-alerts', $1, 'sk-...xyz', 'alerts-key', 'team-alerts', 'org-alerts', 2000000, $2)`,
    [KEY_HASH, periodStart],
  );
  bus = await connectTestBus(backends.env);
});

afterAll(async () => {
  if (accounting) await stopProcess(accounting);
  await bus?.close();
  await backends?.cleanup();
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
});

describe('budget alerts', () => {
  test('crossings go to Slack and the webhook once each, retried when Slack fails first', async () => {
    plans.slack.push('fail', 'fail');
    await spend(1_200_000); // key 60% (50%), team 30% and its soft budget, organisation 12%
    await waitFor(() => delivered().length === 4, { timeoutMs: 15_000, message: `got ${JSON.stringify(delivered())}` });
    expect(delivered()).toEqual([
      'slack Budget alert: key alerts-key (key-alerts) reached 50% of its budget: spent $1.20 of $2.00',
      'slack Budget alert: team Alerts Team (team-alerts) reached its soft budget: spent $1.20 of $1.00',
      'webhook key key-alerts 50%',
      'webhook team team-alerts soft',
    ]);
    // The two failures were retried on the same alert; nothing else was sent.
    expect(received.filter((entry) => entry.channel === 'slack' && !entry.accepted)).toHaveLength(2);
    const webhook = received.find((entry) => entry.channel === 'webhook' && entry.body.event_group === 'key')!.body;
    expect(webhook).toMatchObject({
      event: 'threshold_crossed',
      event_group: 'key',
      spend: 1.2,
      max_budget: 2,
      token: KEY_HASH,
      key_alias: 'alerts-key',
      team_id: 'team-alerts',
      organization_id: 'org-alerts',
    });
    const rows = await backends.sql.query<{ attempts: number; delivered: boolean }>(
      `SELECT attempts, delivered_at IS NOT NULL AS delivered FROM budget_alerts WHERE channel = 'slack' ORDER BY attempts`,
    );
    expect(rows.rows.every((row) => row.delivered)).toBe(true);
    expect(rows.rows.map((row) => row.attempts).reduce((a, b) => a + b)).toBe(4);
  });

  test('more spend sends only the thresholds newly reached; spend that crosses nothing sends nothing', async () => {
    const before = received.length;
    await spend(500_000); // key 85% (80%), team 42.5%, organisation 17%
    await waitFor(() => delivered().length === 6, { timeoutMs: 15_000 });
    expect(received.slice(before).map((entry) => `${entry.channel} ${String(entry.body.threshold ?? entry.body.text)}`).sort()).toEqual([
      'slack Budget alert: key alerts-key (key-alerts) reached 80% of its budget: spent $1.70 of $2.00',
      'webhook 80%',
    ]);
    const rows = await ledgerRows();
    await spend(1_000); // nothing new
    await waitFor(async () => (await ledgerRows()) === rows + 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(delivered()).toHaveLength(6);
  });

  test('a restarted accounting sends nothing twice; over budget and 300% still go out once', async () => {
    await stopProcess(accounting);
    accounting = await startAccountingProcess(env);
    await spend(1_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(delivered()).toHaveLength(6);
    await spend(4_400_000); // key 305% (100%, 300%), team 152% (50%, 80%, 100%), organisation 61% (50%)
    await waitFor(() => delivered().length === 18, { timeoutMs: 15_000, message: `got ${delivered().length}` });
    const webhooks = delivered().filter((line) => line.startsWith('webhook'));
    expect(webhooks).toEqual([
      'webhook key key-alerts 100%',
      'webhook key key-alerts 300%',
      'webhook key key-alerts 50%',
      'webhook key key-alerts 80%',
      'webhook organization org-alerts 50%',
      'webhook team team-alerts 100%',
      'webhook team team-alerts 50%',
      'webhook team team-alerts 80%',
      'webhook team team-alerts soft',
    ]);
    expect(new Set(delivered()).size).toBe(18);
  });

  test('a receiver that hangs holds up no commit, and one that stays down is caught up by the sweep', async () => {
    // The webhook hangs on the next alert (10 s timeout), Slack fails every attempt of the first round.
    plans.webhook.push('hang');
    plans.slack.push('fail', 'fail', 'fail');
    const rows = await ledgerRows();
    const started = Date.now();
    await spend(1_000_000); // organisation 71% (no new threshold) ... then 80%:
    await spend(1_000_000); // organisation 81% (80%)
    // The ledger keeps committing at its usual pace while the webhook hangs.
    await waitFor(async () => (await ledgerRows()) === rows + 2, { timeoutMs: 3_000 });
    for (let index = 0; index < 5; index += 1) await spend(1);
    await waitFor(async () => (await ledgerRows()) === rows + 7, { timeoutMs: 3_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    // Slack failed three times in a row; the sweep sends it once Slack is back.
    await waitFor(() => delivered().some((line) => line.includes('organization Alerts Org (org-alerts) reached 80%')), { timeoutMs: 20_000 });
    await waitFor(() => delivered().includes('webhook organization org-alerts 80%'), { timeoutMs: 30_000, message: 'the hung webhook alert was not retried' });
    expect(delivered().filter((line) => line.includes('org-alerts') && line.includes('80%'))).toHaveLength(2);
  }, 60_000);
});
