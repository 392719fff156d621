// Postgres goes away in the middle of a run (every connection cut, new ones refused, as in a restart)
// and comes back: accounting recovers on its own, and the ledger holds every event exactly once. The
// shared Postgres is never touched: a TCP proxy stands between accounting and it.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestBackends, type ServiceProcess, startTcpProxy, type TcpProxy, type TestBackends } from '@sluice/testing';
import type { UsageBus } from '@sluice/common';
import { startAccountingProcess, stopProcess } from './helpers/accounting-process.js';
import { aggregateMismatches, ledgerTotals } from './helpers/ledger-checks.js';
import { connectTestBus, expectedCostMicros, publishAll, usageEvent } from './helpers/usage-events.js';
import { waitFor } from './helpers/wait-for.js';

const TOTAL = 3_000;
let backends: TestBackends;
let proxy: TcpProxy;
let bus: UsageBus;
let accounting: ServiceProcess | undefined;

beforeAll(async () => {
  backends = await createTestBackends('pgrestart');
  const target = new URL(backends.databaseUrl);
  proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
  bus = await connectTestBus(backends.env);
});

afterAll(async () => {
  if (accounting) await stopProcess(accounting, 'SIGKILL');
  await bus?.close();
  await proxy?.close();
  await backends?.cleanup();
});

test('no event lost or doubled across a Postgres restart, and no help needed to recover', async () => {
  accounting = await startAccountingProcess({
    ...backends.env,
    DATABASE_URL: proxy.url(backends.databaseUrl),
    SLUICE_LEDGER_BATCH_SIZE: '200',
    SLUICE_LEDGER_BATCH_WAIT_MS: '100',
  });
  const indexes = Array.from({ length: TOTAL }, (_, index) => index);
  await publishAll(bus, indexes.slice(0, 1_000).map((index) => usageEvent(index)));
  await waitFor(async () => (await ledgerTotals(backends.sql)).rows >= 500, { timeoutMs: 30_000, message: 'the first events never arrived' });

  // Down while events keep arriving, for longer than a few retries.
  await proxy.stop();
  const publishing = publishAll(bus, indexes.slice(1_000).map((index) => usageEvent(index)));
  await new Promise((resolve) => setTimeout(resolve, 4_000));
  const whileDown = (await ledgerTotals(backends.sql)).rows;
  expect(whileDown).toBeLessThan(TOTAL);
  await proxy.start();
  await publishing;

  await waitFor(async () => (await ledgerTotals(backends.sql)).rows >= TOTAL, {
    timeoutMs: 90_000,
    intervalMs: 500,
    message: 'accounting did not catch up after Postgres came back',
  });
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const totals = await ledgerTotals(backends.sql);
  expect(totals).toEqual({ rows: TOTAL, distinct: TOTAL, cost: expectedCostMicros(indexes) });
  expect(await aggregateMismatches(backends.sql)).toEqual([]);
  expect(accounting.logs.some((line) => line.includes('ledger write failed'))).toBe(true);
  expect(accounting.child.exitCode).toBeNull();
});
