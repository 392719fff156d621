// Two accounting replicas on one durable consumer, fed overlapping work (duplicates under new message
// ids that can reach both at once, every batch hitting the same few key, team and daily rows): both do
// part of the work, counts and sums are exact, and Postgres never reports a deadlock.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestBackends, type ServiceProcess, type TestBackends } from '@sluice/testing';
import type { UsageBus } from '@sluice/common';
import { startAccountingProcess, stopProcess } from './helpers/accounting-process.js';
import { aggregateMismatches, ledgerTotals } from './helpers/ledger-checks.js';
import { connectTestBus, encode, expectedCostMicros, publishAll, publishRaw, usageEvent } from './helpers/usage-events.js';
import { waitFor } from './helpers/wait-for.js';

const TOTAL = 6_000;
let backends: TestBackends;
let bus: UsageBus;
const replicas: ServiceProcess[] = [];

beforeAll(async () => {
  backends = await createTestBackends('replicas');
  bus = await connectTestBus(backends.env);
});

afterAll(async () => {
  for (const replica of replicas) await stopProcess(replica, 'SIGKILL');
  await bus?.close();
  await backends?.cleanup();
});

test('two replicas share the consumer with exact counts and no deadlock', async () => {
  const env = { ...backends.env, LOG_LEVEL: 'debug', SLUICE_LEDGER_BATCH_SIZE: '250', SLUICE_LEDGER_BATCH_WAIT_MS: '50' };
  const indexes = Array.from({ length: TOTAL }, (_, index) => index);
  // Every event twice: once as the edge publishes it, once more under another message id.
  const events = indexes.map((index) => usageEvent(index));
  await publishAll(bus, events);
  await publishRaw(backends.env, indexes.map((index) => ({ id: `again-${index}`, data: encode(events[index]!) })));

  replicas.push(...(await Promise.all([startAccountingProcess(env), startAccountingProcess(env)])));
  await waitFor(async () => (await ledgerTotals(backends.sql)).rows >= TOTAL, { timeoutMs: 90_000, intervalMs: 500 });
  await new Promise((resolve) => setTimeout(resolve, 2_000));

  expect(await ledgerTotals(backends.sql)).toEqual({ rows: TOTAL, distinct: TOTAL, cost: expectedCostMicros(indexes) });
  expect(await aggregateMismatches(backends.sql)).toEqual([]);
  for (const replica of replicas) {
    const handled = replica.logs.filter((line) => line.includes('usage batch handled'));
    expect(handled.length).toBeGreaterThan(0);
    expect(replica.logs.filter((line) => /deadlock|40P01/.test(line))).toEqual([]);
    expect(replica.logs.filter((line) => line.includes('ledger write failed'))).toEqual([]);
  }
});
