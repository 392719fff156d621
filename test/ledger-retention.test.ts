// The accounting service with general_settings.maximum_spend_logs_retention_period: at start it makes the
// coming months' partitions and drops the months older than the period, logs and counts what it dropped,
// and the daily totals of the dropped months stay.
import { createLogger, migrate } from '@sluice/common';
import { createTestBackends, type ServiceProcess, type TestBackends, writeConfigFile } from '@sluice/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startAccountingProcess, stopProcess } from './helpers/accounting-process.js';
import { waitFor } from './helpers/wait-for.js';

let backends: TestBackends;
let accounting: ServiceProcess | undefined;

beforeAll(async () => {
  backends = await createTestBackends('retention');
  await migrate(backends.sql, createLogger({ service: 'test', level: 'silent' }));
  // A month long past, with two requests and their daily total.
  await backends.sql.query(`SELECT spend_logs_ensure_partition('2020-01-01')`);
  await backends.sql.query(
    `INSERT INTO spend_logs (request_id, key_hash, start_time, end_time, status, cost_nanos)
     VALUES ('r-old-1', 'key-old', '2020-01-05T10:00:00Z', '2020-01-05T10:00:01Z', 'success', 1000),
            ('r-old-2', 'key-old', '2020-01-06T10:00:00Z', '2020-01-06T10:00:01Z', 'success', 2000),
            ('r-new-1', 'key-old', now(), now(), 'success', 4000)`,
  );
  await backends.sql.query(
    `INSERT INTO spend_daily (day, key_hash, team_id, user_id, organization_id, model_group, model, provider, spend_nanos, requests, successes)
     VALUES ('2020-01-05', 'key-old', '', '', '', '', '', '', 1000, 1, 1), ('2020-01-06', 'key-old', '', '', '', '', '', '', 2000, 1, 1)`,
  );
});

afterAll(async () => {
  if (accounting) await stopProcess(accounting);
  await backends?.cleanup();
});

test('accounting drops the months older than maximum_spend_logs_retention_period at start, and keeps the aggregates', async () => {
  const config = writeConfigFile({ model_list: [], general_settings: { maximum_spend_logs_retention_period: '30d', maximum_spend_logs_retention_interval: '1h' } });
  accounting = await startAccountingProcess({ ...backends.env, SLUICE_CONFIG: config });
  await waitFor(async () => accounting!.logs.some((line) => line.includes('retention dropped spend_logs rows')), { timeoutMs: 20_000 });

  const partitions = (
    await backends.sql.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'spend_logs'::regclass`,
    )
  ).rows.map((row) => row.name);
  expect(partitions).not.toContain('spend_logs_2020_01');
  expect(partitions.filter((name) => /^spend_logs_\d{4}_\d{2}$/.test(name)).length).toBeGreaterThanOrEqual(3);
  const logs = (await backends.sql.query<{ request_id: string }>('SELECT request_id FROM spend_logs ORDER BY 1')).rows;
  expect(logs.map((row) => row.request_id)).toEqual(['r-new-1']);
  const daily = (await backends.sql.query<{ spend: number; requests: number }>(`SELECT sum(spend_nanos)::bigint AS spend, sum(requests)::bigint AS requests FROM spend_daily`)).rows[0]!;
  expect(daily).toEqual({ spend: 3000, requests: 2 });

  const line = accounting.logs.find((entry) => entry.includes('retention dropped spend_logs rows'))!;
  expect(JSON.parse(line)).toMatchObject({ partition: 'spend_logs_2020_01', rows: 2 });
  expect(accounting.logs.some((entry) => entry.includes('spend_logs retention on'))).toBe(true);
  const metrics = await (await fetch(`http://127.0.0.1:${accounting.ports.http}/metrics`)).text();
  expect(metrics).toMatch(/^sluice_ledger_partitions_dropped_total 1$/m);
  expect(metrics).toMatch(/^sluice_ledger_rows_dropped_total 2$/m);
});
