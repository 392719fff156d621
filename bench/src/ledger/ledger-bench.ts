import { performance } from 'node:perf_hooks';
import { createSpendApi, queryUsageByKey } from '@sluice/accounting';
import { createLogger, migrate, type Sql, type SqlClient } from '@sluice/common';
import { createTestBackends } from '@sluice/testing';
import { percentiles } from '../latency-stats.js';
import { benchKeyHash, generateLedger, type LedgerShape } from './generate-ledger.js';

// The spend routes and the daily reports over a generated year of ledger in a scratch database (made by
// createTestBackends, dropped at the end): each query run `iterations` times one after another with fresh
// parameters (another key, another day), latency per call in ms. For the queries that read spend_logs,
// EXPLAIN says how many of its partitions the plan touches, to show the pruning.

export interface LedgerBenchOptions extends LedgerShape {
  iterations: number;
}

export interface LedgerScenarioResult {
  name: string;
  p50: number;
  p99: number;
  /** spend_logs partitions in the plan of the last call, of all there are; undefined when it reads none. */
  partitions: string | undefined;
}

export interface LedgerBenchResults {
  rows: number;
  partitions: number;
  generateSeconds: number;
  databaseMiB: number;
  scenarios: LedgerScenarioResult[];
}

interface Scenario {
  name: string;
  run(sql: SqlClient, pick: Picks): Promise<unknown>;
}

interface Picks {
  keyHash: string;
  teamId: string;
  day: string;
  requestId: string;
}

const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Records the statements a call sends, so the last one can be EXPLAINed. */
function recording(sql: Sql): { client: SqlClient; statements: Array<{ text: string; params: readonly unknown[] }> } {
  const statements: Array<{ text: string; params: readonly unknown[] }> = [];
  return {
    statements,
    client: {
      query(text, params = []) {
        statements.push({ text, params });
        return sql.query(text, params);
      },
    },
  };
}

async function partitionsInPlan(sql: Sql, statement: { text: string; params: readonly unknown[] }): Promise<number> {
  const plan = await sql.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${statement.text}`, statement.params);
  const names = new Set<string>();
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'Relation Name' && typeof value === 'string' && value.startsWith('spend_logs_')) names.add(value);
        else walk(value);
      }
    }
  };
  walk(plan.rows[0]!['QUERY PLAN']);
  return names.size;
}

export async function runLedgerBenchmark(options: LedgerBenchOptions, log: (line: string) => void): Promise<LedgerBenchResults> {
  const logger = createLogger({ service: 'bench', level: 'warn' });
  const backends = await createTestBackends('benchledger');
  try {
    const sql = backends.sql;
    await migrate(sql, logger);
    log(`generating ${options.rows.toLocaleString('en-US')} rows over ${options.days} days`);
    const started = performance.now();
    await generateLedger(sql, options, log);
    const generateSeconds = (performance.now() - started) / 1000;
    const partitionCount = Number(
      (await sql.query<{ n: number }>(`SELECT count(*) AS n FROM pg_inherits WHERE inhparent = 'spend_logs'::regclass`)).rows[0]!.n,
    );
    const databaseMiB = Number((await sql.query<{ bytes: number }>('SELECT pg_database_size(current_database()) AS bytes')).rows[0]!.bytes) / 2 ** 20;

    const keyHashes = await Promise.all(Array.from({ length: 50 }, (_, index) => benchKeyHash(sql, index * 17)));
    const endMs = options.end.getTime();
    const picks = (iteration: number): Picks => {
      const dayMs = endMs - ((iteration * 7) % options.days) * DAY_MS;
      const n = Math.floor(((iteration * 7_919) % 1_000) * (options.rows / 1_000));
      return { keyHash: keyHashes[iteration % keyHashes.length]!, teamId: `team-${iteration % 20}`, day: isoDay(dayMs), requestId: `bench-${n}` };
    };
    const last30 = { start_date: isoDay(endMs - 29 * DAY_MS), end_date: isoDay(endMs) };
    const spend = (route: string, query: (pick: Picks) => Record<string, string>): Scenario['run'] => async (client, pick) => {
      const api = createSpendApi({ sql: client, keyPepper: undefined, logger });
      // As the edge's spend route forwards it (an admin's GET).
      const result = await api({ method: 'GET', route, query: query(pick), bodyJson: Buffer.alloc(0), apiKey: '', requestId: 'bench' });
      if (result.status !== 200) throw new Error(`${route}: ${result.status} ${Buffer.from(result.bodyJson).toString()}`);
      return result;
    };
    const scenarios: Scenario[] = [
      { name: "/spend/logs: one key's requests on one day (100 newest)", run: spend('/spend/logs', (p) => ({ api_key: p.keyHash, start_date: p.day, end_date: p.day, summarize: 'false', limit: '100' })) },
      { name: '/spend/logs?request_id= (no time given: every partition)', run: spend('/spend/logs', (p) => ({ request_id: p.requestId })) },
      { name: '/spend/logs: the 100 newest requests', run: spend('/spend/logs', () => ({ limit: '100' })) },
      { name: '/spend/logs summarized, one key, 30 days', run: spend('/spend/logs', (p) => ({ api_key: p.keyHash, ...last30 })) },
      { name: '/global/spend/report?group_by=team, 30 days', run: spend('/global/spend/report', () => ({ group_by: 'team', ...last30 })) },
      { name: "/global/spend/report?group_by=api_key, one team's 30 days", run: spend('/global/spend/report', (p) => ({ group_by: 'api_key', team_id: p.teamId, ...last30 })) },
      { name: '/global/spend/keys, top 100 over 30 days', run: spend('/global/spend/keys', () => ({ ...last30 })) },
      { name: '/global/spend/report?group_by=tag, one day', run: spend('/global/spend/report', (p) => ({ group_by: 'tag', start_date: p.day, end_date: p.day })) },
      { name: 'usage report (daily, per key), 30 days', run: (client) => queryUsageByKey(client, { from: last30.start_date, to: last30.end_date }) },
      {
        name: '"LiteLLM_DailyTeamSpend", one team, 30 days',
        run: (client, p) =>
          client.query(`SELECT date, sum(spend) AS spend, sum(api_requests) AS requests FROM "LiteLLM_DailyTeamSpend" WHERE team_id = $1 AND date >= $2 GROUP BY date`, [
            p.teamId,
            last30.start_date,
          ]),
      },
      {
        name: "a key's spend this month from spend_logs (budget rebuild)",
        run: (client, p) =>
          client.query(`SELECT COALESCE(sum(cost_nanos), 0)::bigint AS spent FROM spend_logs WHERE key_hash = ANY($1) AND start_time >= $2`, [
            [p.keyHash],
            new Date(Date.UTC(options.end.getUTCFullYear(), options.end.getUTCMonth(), 1)),
          ]),
      },
    ];

    const results: LedgerScenarioResult[] = [];
    for (const scenario of scenarios) {
      const { client, statements } = recording(sql);
      for (let warm = 0; warm < 3; warm += 1) await scenario.run(client, picks(warm + 1_000));
      const times: number[] = [];
      for (let iteration = 0; iteration < options.iterations; iteration += 1) {
        const pick = picks(iteration);
        const start = performance.now();
        await scenario.run(client, pick);
        times.push(performance.now() - start);
      }
      const lastStatement = statements.at(-1)!;
      const touched = /\bspend_logs\b/.test(lastStatement.text) ? await partitionsInPlan(sql, lastStatement) : undefined;
      const { p50, p99 } = percentiles(times);
      results.push({ name: scenario.name, p50, p99, partitions: touched === undefined ? undefined : `${touched} of ${partitionCount}` });
      log(`  ${scenario.name}: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms${touched === undefined ? '' : `, partitions ${touched}/${partitionCount}`}`);
    }
    return { rows: options.rows, partitions: partitionCount, generateSeconds, databaseMiB, scenarios: results };
  } finally {
    await backends.cleanup();
  }
}
