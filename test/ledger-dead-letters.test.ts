// A poison event (one Postgres rejects, and bytes that are no usage event at all) ends in the
// dead-letter table after max_deliver attempts, and the events published around it are committed
// without waiting for it.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestBackends, type ServiceProcess, type TestBackends } from '@sluice/testing';
import type { UsageBus } from '@sluice/common';
import { startAccountingProcess, stopProcess } from './helpers/accounting-process.js';
import { aggregateMismatches, ledgerTotals } from './helpers/ledger-checks.js';
import { connectTestBus, encode, expectedCostMicros, publishAll, publishRaw, usageEvent } from './helpers/usage-events.js';
import { waitFor } from './helpers/wait-for.js';

let backends: TestBackends;
let bus: UsageBus;
let accounting: ServiceProcess | undefined;

beforeAll(async () => {
  backends = await createTestBackends('deadletter');
  bus = await connectTestBus(backends.env);
});

afterAll(async () => {
  if (accounting) await stopProcess(accounting, 'SIGKILL');
  await bus?.close();
  await backends?.cleanup();
});

test('poison events are parked after max_deliver and the events behind them committed', async () => {
  accounting = await startAccountingProcess({ ...backends.env, SLUICE_USAGE_MAX_DELIVER: '3', SLUICE_LEDGER_BATCH_WAIT_MS: '100' });
  // A row Postgres refuses: the ledger's columns take any value an event can carry, so this run's
  // database is given a constraint that one request id breaks (after accounting has migrated it).
  await backends.sql.query(`ALTER TABLE spend_logs ADD CONSTRAINT poison_for_this_test CHECK (request_id <> 'req-poison')`);
  const before = Array.from({ length: 300 }, (_, index) => index);
  const after = Array.from({ length: 300 }, (_, index) => 1_000 + index);
  await publishAll(bus, before.map((index) => usageEvent(index)));
  const poison = usageEvent(500, { requestId: 'req-poison' });
  await publishAll(bus, [poison]);
  await publishRaw(backends.env, [{ id: 'garbage-1', data: Buffer.from([0xff, 0xff, 0xff, 0x01, 0x02]) }]);
  await publishAll(bus, after.map((index) => usageEvent(index)));

  // The good events do not wait for the poison's retries.
  await waitFor(async () => (await ledgerTotals(backends.sql)).rows === before.length + after.length, { timeoutMs: 20_000 });
  const dead = async () =>
    (await backends.sql.query<{ request_id: string; deliveries: number; error: string; payload: Buffer }>('SELECT request_id, deliveries, error, payload FROM usage_dead_letters ORDER BY request_id')).rows;
  await waitFor(async () => (await dead()).length === 2, { timeoutMs: 60_000, intervalMs: 500, message: 'the poison events were not parked' });
  await new Promise((resolve) => setTimeout(resolve, 2_000));

  const letters = await dead();
  expect(letters).toHaveLength(2);
  expect(letters[0]!.request_id).toBe('');
  expect(letters[0]!.error).toMatch(/unreadable usage event/);
  expect(Buffer.from(letters[0]!.payload)).toEqual(Buffer.from([0xff, 0xff, 0xff, 0x01, 0x02]));
  expect(letters[1]!.request_id).toBe('req-poison');
  expect(letters[1]!.deliveries).toBe(3);
  expect(letters[1]!.error).toMatch(/poison_for_this_test/);
  expect(Buffer.from(letters[1]!.payload)).toEqual(Buffer.from(encode(poison)));

  const totals = await ledgerTotals(backends.sql);
  expect(totals).toEqual({ rows: 600, distinct: 600, cost: expectedCostMicros([...before, ...after]) });
  expect(await aggregateMismatches(backends.sql)).toEqual([]);
  expect(accounting.logs.filter((line) => line.includes('parked as a dead letter'))).toHaveLength(2);
});

test('an event whose client-chosen strings carry NUL (which Postgres cannot store) is committed, not parked', async () => {
  const parked = Number((await backends.sql.query<{ count: number }>('SELECT count(*)::int AS count FROM usage_dead_letters')).rows[0]!.count);
  const event = usageEvent(2_000, { requestId: 'req-nul', endUser: 'a\u0000b', tags: ['t\u0000ag'], metadata: { note: 'x\u0000y' } });
  await publishAll(bus, [event, usageEvent(2_001)]);
  await waitFor(async () => (await backends.sql.query("SELECT 1 FROM spend_logs WHERE request_id IN ('req-nul', $1)", [usageEvent(2_001).requestId])).rows.length === 2, {
    timeoutMs: 20_000,
    message: 'the events with NUL did not reach the ledger',
  });
  const row = (await backends.sql.query<{ end_user: string; tags: string[]; metadata: Record<string, string> }>("SELECT end_user, tags, metadata FROM spend_logs WHERE request_id = 'req-nul'")).rows[0]!;
  expect(row).toEqual({ end_user: 'ab', tags: ['tag'], metadata: { note: 'xy' } });
  expect(Number((await backends.sql.query<{ count: number }>('SELECT count(*)::int AS count FROM usage_dead_letters')).rows[0]!.count)).toBe(parked);
});
