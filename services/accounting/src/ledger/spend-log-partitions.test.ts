import { createLogger, MetricRegistry, migrate, MIGRATIONS } from '@sluice/common';
import { type UsageEvent, UsageStatus } from '@sluice/proto';
import { createTestBackends, type TestBackends } from '@sluice/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { addToAggregates } from './add-to-aggregates.js';
import { insertSpendLogs } from './insert-spend-logs.js';
import { retentionCutoff, startLedgerMaintenance } from './ledger-maintenance.js';
import { dropSpendLogPartitionsBefore, ensureSpendLogPartitions } from './spend-log-partitions.js';
import { toSpendLogRow } from './spend-log-rows.js';

// The ledger partitioned by month (migration 0510), on a database that starts as an earlier release left
// it: an unpartitioned spend_logs with rows (and a column and an index another migration added).

const logger = createLogger({ service: 'test', level: 'silent' });
const OPTIONS = { storeMessages: false, exportTraces: false, exportMessages: false };
let backends: TestBackends;

function event(id: string, startTime: string, costNanos: number, tags: string[] = []): UsageEvent {
  const startTimeMs = Date.parse(startTime);
  return {
    schemaVersion: 1, requestId: id, keyHash: 'key-a', keyAlias: 'a', teamId: 'team-a', userId: 'user-a', organizationId: 'org-a', endUser: '',
    callType: 'chat_completion', modelGroup: 'g', deploymentId: 'd', provider: 'openai', model: 'm', apiBaseHost: 'h', stream: false,
    promptTokens: 3, completionTokens: 4, cachedTokens: 0, cacheCreationTokens: 0, reasoningTokens: 0, costMicros: Math.round(costNanos / 1000),
    usageEstimated: false, startTimeMs, firstTokenTimeMs: startTimeMs + 10, endTimeMs: startTimeMs + 20, overheadUs: 1,
    status: UsageStatus.USAGE_STATUS_SUCCESS, errorCode: '', httpStatus: 200, attempts: 1, cacheHit: false, cacheKey: '', tags, traceId: '',
    sessionId: '', generationName: '', metadata: {}, modelParametersJson: '', messagesJson: '', responseJson: '', traceparent: '',
    costNanos, priceSource: 'test', cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, leaseId: '', leaseTokens: 0, leaseCostNanos: 0,
  };
}

/** Commits events as accounting does (log and aggregates in one transaction); resolves to rows added. */
async function commit(events: UsageEvent[]): Promise<number> {
  return backends.sql.transaction(async (tx) => {
    const deltas = await insertSpendLogs(tx, events.map(toSpendLogRow), OPTIONS);
    await addToAggregates(tx, deltas);
    return deltas.reduce((sum, delta) => sum + delta.requests, 0);
  });
}

async function one<Row>(text: string, params: unknown[] = []): Promise<Row> {
  return (await backends.sql.query<Row>(text, params)).rows[0]!;
}

const partitions = async () =>
  (
    await backends.sql.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'spend_logs'::regclass ORDER BY 1`,
    )
  ).rows.map((row) => row.name);

const totals = () =>
  one<{ logs: string; log_nanos: string; daily_requests: string; daily_nanos: string; key_nanos: string }>(
    `SELECT (SELECT count(*) FROM spend_logs) AS logs, (SELECT coalesce(sum(cost_nanos), 0) FROM spend_logs) AS log_nanos,
       (SELECT coalesce(sum(requests), 0) FROM spend_daily) AS daily_requests, (SELECT coalesce(sum(spend_nanos), 0) FROM spend_daily) AS daily_nanos,
       (SELECT coalesce(sum(spend_nanos), 0) FROM spend_by_key) AS key_nanos`,
  );

const monthName = (date: Date) => `spend_logs_${date.toISOString().slice(0, 4)}_${date.toISOString().slice(5, 7)}`;
const monthsFromNow = (months: number) => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + months, 1));
};

const OLD_EVENTS = [
  event('old-1', '2025-01-10T10:00:00Z', 1_000_000, ['batch']),
  event('old-2', '2025-01-31T23:59:59.999Z', 2_000_000),
  event('mid-1', '2025-03-01T00:00:00Z', 3_000_000, ['batch', 'eval']),
  event('recent-1', new Date().toISOString(), 4_000_000),
];

beforeAll(async () => {
  backends = await createTestBackends('partitions');
  // An earlier release's database, with rows, and a column and an index of some later migration. It also
  // gets 516 (spend_daily_tags' new counters), which touches no spend_logs column: this release's insert,
  // used to seed it, writes them.
  await migrate(backends.sql, logger, MIGRATIONS.filter((migration) => migration.version < 510 || migration.version === 516));
  // This release's insert names the new key, (request_id, start_time); the old table gets an index on it
  // just for seeding.
  await backends.sql.query('CREATE UNIQUE INDEX seed_only ON spend_logs (request_id, start_time)');
  expect(await commit(OLD_EVENTS)).toBe(4);
  await backends.sql.query('DROP INDEX seed_only');
  await backends.sql.query(`ALTER TABLE spend_logs ADD COLUMN review_note text NOT NULL DEFAULT 'none'`);
  await backends.sql.query(`CREATE INDEX spend_logs_model_time ON spend_logs (model_group, start_time)`);
  await backends.sql.query(`UPDATE spend_logs SET review_note = 'checked' WHERE request_id = 'mid-1'`);
});

afterAll(async () => {
  await backends?.cleanup();
});

describe('upgrading an unpartitioned spend_logs', () => {
  const rowsText = `SELECT string_agg(to_jsonb(s)::text, E'\\n' ORDER BY request_id) AS text FROM spend_logs s`;
  let before: string;

  test('every row is kept, in its month, with the columns and indexes other migrations added', async () => {
    before = (await one<{ text: string }>(rowsText)).text;
    const totalsBefore = await totals();
    await migrate(backends.sql, logger);

    expect((await one<{ relkind: string }>(`SELECT relkind FROM pg_class WHERE relname = 'spend_logs'`)).relkind).toBe('p');
    expect((await one<{ text: string }>(rowsText)).text).toBe(before);
    expect(await totals()).toEqual(totalsBefore);
    const names = await partitions();
    expect(names).toEqual(expect.arrayContaining(['spend_logs_2025_01', 'spend_logs_2025_03', 'spend_logs_default', monthName(monthsFromNow(0)), monthName(monthsFromNow(2))]));
    expect(names).not.toContain('spend_logs_2025_02');
    const placed = await backends.sql.query<{ request_id: string; partition: string }>(
      `SELECT request_id, tableoid::regclass::text AS partition FROM spend_logs ORDER BY request_id`,
    );
    expect(Object.fromEntries(placed.rows.map((row) => [row.request_id, row.partition]))).toMatchObject({
      'old-1': 'spend_logs_2025_01',
      'old-2': 'spend_logs_2025_01',
      'mid-1': 'spend_logs_2025_03',
      'recent-1': monthName(monthsFromNow(0)),
    });
    const indexes = (await backends.sql.query<{ name: string }>(`SELECT indexname AS name FROM pg_indexes WHERE tablename = 'spend_logs' ORDER BY 1`)).rows;
    expect(indexes.map((row) => row.name)).toEqual([
      'spend_logs_end_user_time',
      'spend_logs_key_time',
      'spend_logs_model_time',
      'spend_logs_organization_time',
      'spend_logs_pkey',
      'spend_logs_start_time_request',
      'spend_logs_tags',
      'spend_logs_team_time',
      'spend_logs_user_time',
    ]);
    // A new partition gets the added column's default too.
    expect((await one<{ column_default: string }>(
      `SELECT column_default FROM information_schema.columns WHERE table_name = 'spend_logs_2025_03' AND column_name = 'review_note'`,
    )).column_default).toMatch(/none/);
  });

  test("the LiteLLM views read the partitioned table, the finance guide's query included", async () => {
    const logs = await one<{ count: number; spend: number }>(`SELECT count(*) AS count, sum(spend) AS spend FROM "LiteLLM_SpendLogs"`);
    expect(logs).toMatchObject({ count: 4 });
    expect(logs.spend).toBeCloseTo(0.01, 9);
    const guide = await backends.sql.query<{ day: Date; daily_spend_usd: number; requests: number }>(
      `SELECT date_trunc('day', created_at) AS day, SUM(spend) AS daily_spend_usd, COUNT(*) AS requests
       FROM "LiteLLM_SpendLogs" WHERE created_at >= NOW() - INTERVAL '30 days' GROUP BY 1 ORDER BY 1 DESC`,
    );
    expect(guide.rows).toHaveLength(1);
    expect(guide.rows[0]!.requests).toBe(1);
    const tags = await backends.sql.query<{ tag: string; api_requests: string }>(
      `SELECT tag, sum(api_requests)::text AS api_requests FROM "LiteLLM_DailyTagSpend" GROUP BY 1 ORDER BY 1`,
    );
    expect(tags.rows).toEqual([{ tag: 'batch', api_requests: '2' }, { tag: 'eval', api_requests: '1' }]);
    const key = await one<{ count: number }>(`SELECT count(*) AS count FROM "LiteLLM_VerificationToken"`);
    expect(key.count).toBe(0);
    const granted = await one<{ granted: boolean }>(
      `SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sluice_finance') OR has_table_privilege('sluice_finance', '"LiteLLM_SpendLogs"', 'SELECT') AS granted`,
    );
    expect(granted.granted).toBe(true);
  });
});

describe('exactly once across partitions', () => {
  test('a duplicate event adds nothing, in a monthly partition or the default one', async () => {
    const totalsBefore = await totals();
    expect(await commit(OLD_EVENTS)).toBe(0);
    expect(await totals()).toEqual(totalsBefore);

    // Far ahead of any partition: the default partition takes it, and still dedupes.
    const future = event('future-1', '2099-06-15T12:00:00Z', 5_000_000);
    expect(await commit([future])).toBe(1);
    expect(await commit([future, future])).toBe(0);
    expect((await one<{ partition: string }>(`SELECT tableoid::regclass::text AS partition FROM spend_logs WHERE request_id = 'future-1'`)).partition).toBe(
      'spend_logs_default',
    );
    // Its month made later: the row moves in, and the dedupe follows it.
    expect(await ensureSpendLogPartitions(backends.sql, new Date('2099-06-02T00:00:00Z'), 0)).toEqual(['spend_logs_2099_06']);
    expect((await one<{ partition: string }>(`SELECT tableoid::regclass::text AS partition FROM spend_logs WHERE request_id = 'future-1'`)).partition).toBe(
      'spend_logs_2099_06',
    );
    expect(await commit([future])).toBe(0);
    const after = await totals();
    expect(Number(after.logs)).toBe(Number(totalsBefore.logs) + 1);
    expect(after.log_nanos).toBe(after.daily_nanos);
    expect(after.log_nanos).toBe(after.key_nanos);
  });
});

describe('partitions made ahead', () => {
  test('the current month and the next two, once, whichever replica gets there first', async () => {
    const now = new Date('2031-11-20T08:00:00Z');
    // Two replicas at once: the advisory lock serialises them, the second finds nothing left to make.
    const [first, second] = await Promise.all([ensureSpendLogPartitions(backends.sql, now), ensureSpendLogPartitions(backends.sql, now)]);
    expect([...first, ...second].sort()).toEqual(['spend_logs_2031_11', 'spend_logs_2031_12', 'spend_logs_2032_01']);
    expect(await ensureSpendLogPartitions(backends.sql, now)).toEqual([]);
    // Bounds are whole UTC months.
    expect(await commit([event('edge-1', '2031-12-31T23:59:59.999Z', 1), event('edge-2', '2032-01-01T00:00:00Z', 1)])).toBe(2);
    const placed = await backends.sql.query<{ partition: string }>(
      `SELECT tableoid::regclass::text AS partition FROM spend_logs WHERE request_id IN ('edge-1', 'edge-2') ORDER BY request_id`,
    );
    expect(placed.rows.map((row) => row.partition)).toEqual(['spend_logs_2031_12', 'spend_logs_2032_01']);
  });
});

describe('retention', () => {
  test('the cutoff is the period back from now, never less than the redelivery window', () => {
    const now = Date.parse('2026-03-31T12:00:00Z');
    expect(retentionCutoff(now, '30d', 7 * 86_400_000).toISOString()).toBe('2026-03-01T12:00:00.000Z');
    expect(retentionCutoff(now, '1mo', 0).toISOString()).toBe('2026-02-28T12:00:00.000Z');
    expect(retentionCutoff(now, '1h', 7 * 86_400_000).toISOString()).toBe('2026-03-24T12:00:00.000Z');
  });

  test('drops whole partitions older than the cutoff and keeps the aggregates', async () => {
    const aggregatesBefore = await totals();
    // March 2025 ends after this cutoff: it stays, with its row; January 2025 goes.
    const dropped = await dropSpendLogPartitionsBefore(backends.sql, new Date('2025-03-15T00:00:00Z'));
    expect(dropped).toEqual([{ partition: 'spend_logs_2025_01', rows: 2 }]);
    const names = await partitions();
    expect(names).not.toContain('spend_logs_2025_01');
    expect(names).toContain('spend_logs_2025_03');
    const after = await totals();
    expect(Number(after.logs)).toBe(Number(aggregatesBefore.logs) - 2);
    expect(after.daily_requests).toBe(aggregatesBefore.daily_requests);
    expect(after.daily_nanos).toBe(aggregatesBefore.daily_nanos);
    expect(after.key_nanos).toBe(aggregatesBefore.key_nanos);
    expect(Number((await one<{ n: number }>(`SELECT count(*) AS n FROM spend_daily WHERE day = '2025-01-10'`)).n)).toBe(1);
  });

  test('on schedule, with maximum_spend_logs_retention_period: logged and counted, one replica at a time', async () => {
    const registry = new MetricRegistry();
    await commit([event('stray-1', '2024-05-05T00:00:00Z', 7)]); // lands in the default partition (no May 2024)
    const maintenance = await startLedgerMaintenance({
      sql: backends.sql,
      logger,
      registry,
      retentionPeriod: '30d',
      redeliveryWindowMs: 7 * 86_400_000,
    });
    await maintenance.stop();
    const names = await partitions();
    expect(names).not.toContain('spend_logs_2025_03');
    expect(names).toEqual(expect.arrayContaining([monthName(monthsFromNow(0)), monthName(monthsFromNow(1)), monthName(monthsFromNow(2))]));
    expect((await one<{ n: number }>(`SELECT count(*) AS n FROM spend_logs WHERE start_time < now() - interval '60 days'`)).n).toBe(0);
    const metrics = await registry.render();
    expect(metrics).toMatch(/^sluice_ledger_partitions_dropped_total 1$/m);
    expect(metrics).toMatch(/^sluice_ledger_rows_dropped_total 2$/m); // mid-1 and the stray
    expect(metrics).toMatch(/^sluice_ledger_maintenance_failures_total\{job="retention"\} 0$/m);
    expect(Number((await totals()).daily_requests)).toBeGreaterThanOrEqual(7);
  });
});
