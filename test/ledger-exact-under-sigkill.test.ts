// 10,000 usage events, 1% of them published twice, while the accounting process is killed with SIGKILL
// every few seconds and started again: the ledger ends with exactly 10,000 rows, the exact cost sum, and
// aggregates equal to the sums over those rows. Half of the doubles reuse the message id (the stream's
// dedupe window drops them), half come under a new id, as a publish after the window would: only the
// ledger's primary key stops those.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestBackends, type ServiceProcess, type TestBackends } from '@sluice/testing';
import type { UsageBus } from '@sluice/common';
import { startAccountingProcess, stopProcess } from './helpers/accounting-process.js';
import { aggregateMismatches, ledgerTotals } from './helpers/ledger-checks.js';
import { connectTestBus, encode, expectedCostMicros, publishAll, publishRaw, usageEvent } from './helpers/usage-events.js';

const TOTAL = 10_000;
let backends: TestBackends;
let bus: UsageBus;
let accounting: ServiceProcess | undefined;
let env: Record<string, string>;

beforeAll(async () => {
  backends = await createTestBackends('sigkill');
  // Deliveries held by a killed process come back after the ack wait; keep it short so the test is too.
  env = { ...backends.env, SLUICE_USAGE_ACK_WAIT_MS: '3000', SLUICE_LEDGER_BATCH_SIZE: '500', SLUICE_LEDGER_BATCH_WAIT_MS: '200' };
  bus = await connectTestBus(env);
});

afterAll(async () => {
  if (accounting) await stopProcess(accounting, 'SIGKILL');
  await bus?.close();
  await backends?.cleanup();
});

test('SIGKILL every few seconds: exactly 10,000 rows and the exact cost', async () => {
  const indexes = Array.from({ length: TOTAL }, (_, index) => index);
  const doubled = indexes.filter((index) => index % 100 === 37);
  expect(doubled).toHaveLength(TOTAL / 100);

  // Events trickle in (about 1,000 a second) while accounting is killed and restarted, so kills land
  // mid-batch, between commit and ack, and during start-up.
  let published = false;
  const publishing = (async () => {
    for (let start = 0; start < TOTAL; start += 500) {
      await publishAll(bus, indexes.slice(start, start + 500).map((index) => usageEvent(index)));
      const again = doubled.filter((index) => index >= start && index < start + 500);
      await publishAll(bus, again.filter((index) => index % 200 === 37).map((index) => usageEvent(index)));
      await publishRaw(
        env,
        again.filter((index) => index % 200 !== 37).map((index) => ({ id: `late-${index}`, data: encode(usageEvent(index)) })),
      );
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    published = true;
  })();

  // At least three kills even when start-up is slow enough that publishing ends first: the later ones
  // land while the backlog is still being drained.
  let kills = 0;
  while (!published || kills < 3) {
    accounting = await startAccountingProcess(env);
    await new Promise((resolve) => setTimeout(resolve, 1_000 + Math.floor(Math.random() * 2_500)));
    await stopProcess(accounting, 'SIGKILL');
    kills += 1;
  }
  await publishing;
  const rowsAtLastKill = (await ledgerTotals(backends.sql)).rows;
  // The last process runs until everything is in, and then a little longer for stray redeliveries.
  accounting = await startAccountingProcess(env);
  const deadline = Date.now() + 120_000;
  while ((await ledgerTotals(backends.sql)).rows < TOTAL && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await new Promise((resolve) => setTimeout(resolve, 4_000));

  expect(rowsAtLastKill).toBeGreaterThan(0);
  expect(kills).toBeGreaterThanOrEqual(3);
  const totals = await ledgerTotals(backends.sql);
  expect(totals.rows).toBe(TOTAL);
  expect(totals.distinct).toBe(TOTAL);
  expect(totals.cost).toBe(expectedCostMicros(indexes));
  expect(await aggregateMismatches(backends.sql)).toEqual([]);
  const keys = await backends.sql.query<{ requests: number; spend: number }>('SELECT sum(requests)::bigint AS requests, sum(spend_micros)::bigint AS spend FROM spend_by_key');
  expect(keys.rows[0]).toEqual({ requests: TOTAL, spend: expectedCostMicros(indexes) });
  const dead = await backends.sql.query<{ count: number }>('SELECT count(*)::int AS count FROM usage_dead_letters');
  expect(dead.rows[0]!.count).toBe(0);
}, 300_000);
