import { createLogger, migrate } from '@sluice/common';
import { UsageStatus, type UsageEvent } from '@sluice/proto';
import { createTestBackends, type TestBackends } from '@sluice/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { addToAggregates } from '../ledger/add-to-aggregates.js';
import { insertSpendLogs } from '../ledger/insert-spend-logs.js';
import { toSpendLogRow } from '../ledger/spend-log-rows.js';
import { BUDGETED_ENTITY_QUERIES, budgetedEntities, emptyTouched } from './budget-entities-query.js';

// The period spend an alert is based on equals the plain sum over spend_logs since the period start
// (what policy counts), whether the period started today or days ago; and reading it does not get
// dearer as the entity spends (spend_daily, less the first day's rows from before the start).

const DAY_MS = 86_400_000;
let backends: TestBackends;

function event(index: number, startTimeMs: number, costMicros: number, retired = false): UsageEvent {
  return {
    schemaVersion: 1, requestId: `q-${index}`, keyHash: retired ? 'old-hash' : 'new-hash', keyAlias: 'k', teamId: 'team-q', userId: 'user-q',
    organizationId: 'org-q', endUser: '', callType: 'chat_completion', modelGroup: 'g', deploymentId: 'd', provider: 'openai', model: 'm',
    apiBaseHost: 'h', stream: false, promptTokens: 1, completionTokens: 1, cachedTokens: 0, cacheCreationTokens: 0, reasoningTokens: 0, costMicros, usageEstimated: false,
    startTimeMs, firstTokenTimeMs: startTimeMs, endTimeMs: startTimeMs + 1, overheadUs: 1, status: UsageStatus.USAGE_STATUS_SUCCESS, errorCode: '',
    httpStatus: 200, attempts: 1, cacheHit: false, cacheKey: '', tags: [], traceId: '', sessionId: '', generationName: '', metadata: {},
    modelParametersJson: '', messagesJson: '', responseJson: '', traceparent: '',
    costNanos: costMicros * 1000, priceSource: '', cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, leaseId: '', leaseTokens: 0, leaseCostNanos: 0,
  };
}

beforeAll(async () => {
  backends = await createTestBackends('alertquery');
  await migrate(backends.sql, createLogger({ service: 'test', level: 'silent' }));
});

afterAll(async () => {
  await backends?.cleanup();
});

describe('budgetedEntities', () => {
  test("each entity's spend since its period start, across days, a key's retired hashes included", async () => {
    const periodStart = Date.parse('2026-11-20T15:30:00Z');
    const events = [
      event(1, periodStart - 60_000, 1_000_000), // before the period: not counted
      event(2, periodStart + 60_000, 2), // the first (partial) day
      event(3, periodStart + DAY_MS, 30, true), // a whole day later, under the key's old hash
      event(4, periodStart + 3 * DAY_MS, 400),
      event(5, Date.parse('2026-11-20T02:00:00Z'), 5_000_000), // same UTC day, before the start
    ];
    await backends.sql.transaction(async (tx) => {
      const deltas = await insertSpendLogs(tx, events.map(toSpendLogRow), { storeMessages: false, exportTraces: false, exportMessages: false });
      await addToAggregates(tx, deltas);
    });
    const start = new Date(periodStart);
    await backends.sql.query(`INSERT INTO organizations (organization_id, max_budget_micros, budget_period_start) VALUES ('org-q', 1000, $1)`, [start]);
    await backends.sql.query(`INSERT INTO teams (team_id, organization_id, soft_budget_micros, budget_period_start) VALUES ('team-q', 'org-q', 10, $1)`, [start]);
    await backends.sql.query(`INSERT INTO users (user_id, budget_period_start) VALUES ('user-q', $1)`, [start]);
    await backends.sql.query(
      `INSERT INTO api_keys (key_id, token, retired_tokens, key_name, max_budget_micros, budget_period_start) VALUES ('key-q', 'new-hash', '{old-hash}', 'n', 100, $1)`,
      [start],
    );
    const touched = emptyTouched();
    touched.key.add('new-hash');
    touched.team.add('team-q');
    touched.user.add('user-q');
    touched.organization.add('org-q');
    const found = await budgetedEntities(backends.sql, touched);
    const spent = Object.fromEntries(found.map((entity) => [entity.entity_type, Number(entity.spent_micros)]));
    // The user has no budget: not read at all.
    expect(spent).toEqual({ key: 432, team: 432, organization: 432 });
    const plain = await backends.sql.query<{ sum: string }>(`SELECT sum(cost_micros)::text AS sum FROM spend_logs WHERE start_time >= $1`, [start]);
    expect(Number(plain.rows[0]!.sum)).toBe(432);
  });

  test('reads the same spend_logs rows however many requests the period has had', async () => {
    const periodStart = Date.parse('2026-11-25T09:00:00Z');
    const before = [event(100, periodStart - 3_600_000, 7), event(101, periodStart - 60_000, 7)].map((e) => ({ ...e, keyHash: 'busy-hash' }));
    const after = Array.from({ length: 400 }, (_, index) => ({ ...event(200 + index, periodStart + 1000 + index * 60_000, 3), keyHash: 'busy-hash' }));
    await backends.sql.transaction(async (tx) => {
      const deltas = await insertSpendLogs(tx, [...before, ...after].map(toSpendLogRow), { storeMessages: false, exportTraces: false, exportMessages: false });
      await addToAggregates(tx, deltas);
    });
    await backends.sql.query(
      `INSERT INTO api_keys (key_id, token, key_name, max_budget_micros, budget_period_start) VALUES ('key-busy', 'busy-hash', 'b', 100, $1)`,
      [new Date(periodStart)],
    );
    const touched = emptyTouched();
    touched.key.add('busy-hash');
    const [entity] = await budgetedEntities(backends.sql, touched);
    expect(Number(entity!.spent_micros)).toBe(400 * 3);
    // With the ledger's indexes in use, as on any table of real size, the spend_logs scans return only the
    // two rows of the first day from before the start, not the 400 since.
    const plan = await backends.sql.transaction(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      const result = await tx.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${BUDGETED_ENTITY_QUERIES.key}`, [['busy-hash']]);
      return result.rows[0]!['QUERY PLAN'][0].Plan;
    });
    expect(spendLogRowsRead(plan)).toBe(before.length);
  });
});

interface PlanNode {
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  Plans?: PlanNode[];
}

function spendLogRowsRead(node: PlanNode): number {
  const own = node['Relation Name']?.startsWith('spend_logs') ? node['Actual Rows'] * node['Actual Loops'] : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + spendLogRowsRead(child), 0);
}
