// A small run of `npm run bench:ledger`, so it keeps working: every query answers, and the plans prune
// spend_logs to the months asked for. Times are not judged here (the benchmark is for that).
import { expect, test } from 'vitest';
import { runLedgerBenchmark } from './ledger/ledger-bench.js';

test('the ledger benchmark runs every query over a year of partitions, pruned to the months asked for', async () => {
  const results = await runLedgerBenchmark({ rows: 20_000, days: 365, keys: 100, iterations: 3, end: new Date() }, () => undefined);
  expect(results.partitions).toBeGreaterThanOrEqual(14); // 12 or 13 months with rows, 2 ahead, the default
  expect(results.scenarios).toHaveLength(11);
  for (const scenario of results.scenarios) expect(scenario.p50).toBeGreaterThan(0);
  const partitions = (name: string) => results.scenarios.find((scenario) => scenario.name.startsWith(name))!.partitions;
  expect(partitions("/spend/logs: one key's requests on one day")).toBe(`1 of ${results.partitions}`);
  expect(partitions('/spend/logs summarized, one key, 30 days')).toBeUndefined(); // the aggregates, not the log
  expect(partitions('/global/spend/report?group_by=team')).toBeUndefined();
  expect(partitions('/global/spend/report?group_by=tag, one day')).toBeUndefined(); // spend_daily_tags, since migration 516
}, 240_000);
