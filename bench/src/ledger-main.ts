// npm run bench:ledger [-- --rows 10000000] [--days 365] [--keys 1000] [--iterations 200]
// The spend routes and daily reports over a generated year of monthly spend_logs partitions; the scratch
// database is dropped at the end. Prints a Markdown table for docs/benchmarks.md ("The ledger over years").
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { runLedgerBenchmark } from './ledger/ledger-bench.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    rows: { type: 'string', default: '10000000' },
    days: { type: 'string', default: '365' },
    keys: { type: 'string', default: '1000' },
    iterations: { type: 'string', default: '200' },
  },
});
const log = (line: string) => process.stderr.write(`${line}\n`);
const results = await runLedgerBenchmark(
  { rows: Number(values.rows), days: Number(values.days), keys: Number(values.keys), iterations: Number(values.iterations), end: new Date() },
  log,
);
const lines = [
  `${results.rows.toLocaleString('en-US')} rows in ${results.partitions} partitions (${Math.round(results.databaseMiB).toLocaleString('en-US')} MiB database, generated in ${Math.round(results.generateSeconds)} s), ` +
    `${values.iterations} calls per query, ${cpus().length} cores, ${new Date().toISOString().slice(0, 10)}.`,
  '',
  '| Query | p50 (ms) | p99 (ms) | spend_logs partitions in the plan | p99 < 200 ms |',
  '|---|---:|---:|---|---|',
  ...results.scenarios.map(
    (scenario) => `| ${scenario.name} | ${scenario.p50.toFixed(1)} | ${scenario.p99.toFixed(1)} | ${scenario.partitions ?? 'none (aggregates)'} | ${scenario.p99 < 200 ? 'met' : '**missed**'} |`,
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(0);
