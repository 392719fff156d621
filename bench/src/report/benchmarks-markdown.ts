import type { Spread } from '../latency-stats.js';
import type { BenchResults } from '../run-benchmark.js';

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : 'n/a');
const withSpread = (value: Spread) => `${ms(value.median)} (${ms(value.min)}–${ms(value.max)})`;
const round = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a');

function budgetRows(results: BenchResults): string[] {
  const rows: string[] = [];
  const check = (name: string, value: string, pass: boolean) => rows.push(`| ${name} | ${value} | ${pass ? 'met' : '**missed**'} |`);
  const plain200 = results.added.find((entry) => !entry.stream && entry.target === 'sluice' && entry.rate === 200);
  if (plain200) {
    check('added latency p50 at 200 req/s ≤ 1 ms', `${ms(plain200.p50.median)} ms`, plain200.p50.median <= 1);
    check('added latency p99 at 200 req/s ≤ 3 ms', `${ms(plain200.p99.median)} ms`, plain200.p99.median <= 3);
  }
  const stream200 = results.added.find((entry) => entry.stream && entry.target === 'sluice' && entry.rate === 200);
  if (stream200) check('added time to first token at 200 req/s ≤ 1 ms', `${ms(stream200.firstByteP50.median)} ms`, stream200.firstByteP50.median <= 1);
  const sluice = results.throughput.find((entry) => entry.target === 'sluice');
  const portkey = results.throughput.find((entry) => entry.target === 'portkey');
  if (sluice && portkey) {
    const ratio = sluice.requestsPerSecond.median / portkey.requestsPerSecond.median;
    check('saturated throughput ≥ 3× Portkey', `${ratio.toFixed(2)}×`, ratio >= 3);
  }
  if (sluice) {
    const cpu = ['edge', 'policy', 'router'].reduce((sum, name) => sum + (sluice.cpuMicrosPerRequest[name] ?? 0), 0);
    check('CPU per request, edge + policy + router ≤ 400 µs', `${Math.round(cpu)} µs`, cpu <= 400);
  }
  const soak = Object.entries(results.soak);
  if (soak.length > 0) {
    const worst = Math.max(...soak.map(([, entry]) => entry.growthPercent));
    check('memory flat over the soak (< 10% growth per service)', `${worst.toFixed(1)}% worst`, worst < 10);
    const peak = Math.max(...Object.values(results.peakRssMiB.sluice ?? {}));
    check('each service under 150 MB RSS', `${peak.toFixed(0)} MiB peak`, peak < 150);
  }
  check('policy ≥ 10,000 decisions/s', round(results.micro.policyDecisionsPerSecond), results.micro.policyDecisionsPerSecond >= 10_000);
  check('accounting ≥ 10,000 events/s committed', round(results.micro.accountingEventsPerSecond), results.micro.accountingEventsPerSecond >= 10_000);
  return rows;
}

/** The generated part of docs/benchmarks.md (between the results markers). */
export function benchmarksMarkdown(results: BenchResults, resultsFile: string, plotFile: string): string {
  const lines: string[] = [];
  const { machine, options } = results;
  lines.push(`Run ${results.date} on ${machine.cores} × ${machine.cpu}, ${machine.memoryGiB} GiB, Node ${machine.node}, Linux ${machine.kernel}; everything on this one host.`);
  lines.push('');
  lines.push(`Command: \`${results.command}\` (rates ${options.rates.join(', ')} req/s, ${options.durationMs / 1000} s per point, ${options.rounds} rounds, upstream latency ${options.latencyMs} ms). Figures are medians of the rounds with the min–max spread in parentheses; raw data in \`${resultsFile}\`.`);
  lines.push('');
  for (const note of results.notes) lines.push(`- ${note}`);
  if (results.notes.length > 0) lines.push('');
  lines.push('### Budget');
  lines.push('');
  lines.push('| target | measured | |');
  lines.push('|---|---|---|');
  lines.push(...budgetRows(results));
  lines.push('');
  lines.push('### Added latency (gateway minus direct call, ms)');
  lines.push('');
  lines.push('| mode | rate | gateway | p50 | p99 | p99.9 | first byte p50 |');
  lines.push('|---|---|---|---|---|---|---|');
  for (const entry of results.added) {
    lines.push(`| ${entry.stream ? 'stream' : 'plain'} | ${entry.rate} | ${entry.target} | ${withSpread(entry.p50)} | ${withSpread(entry.p99)} | ${withSpread(entry.p999)} | ${entry.stream ? withSpread(entry.firstByteP50) : '–'} |`);
  }
  lines.push('');
  lines.push('### Latency (ms, from the scheduled send)');
  lines.push('');
  lines.push('| mode | rate | target | p50 | p99 | p99.9 | first byte p50 | failed |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const point of results.latency) {
    lines.push(`| ${point.stream ? 'stream' : 'plain'} | ${point.rate} | ${point.target} | ${withSpread(point.p50)} | ${withSpread(point.p99)} | ${withSpread(point.p999)} | ${point.stream ? withSpread(point.firstByteP50) : '–'} | ${point.failed} |`);
  }
  lines.push('');
  lines.push(`![latency against rate](${plotFile})`);
  lines.push('');
  lines.push(`### Saturated throughput (${options.connections} connections, non-streaming) and CPU per request`);
  lines.push('');
  lines.push('| target | req/s | failed | CPU µs per request (per process) | peak RSS MiB (per process) |');
  lines.push('|---|---|---|---|---|');
  for (const entry of results.throughput) {
    const cpu = Object.entries(entry.cpuMicrosPerRequest).map(([name, value]) => `${name} ${Math.round(value)}`).join(', ');
    const peak = Object.entries(results.peakRssMiB[entry.target] ?? {}).map(([name, value]) => `${name} ${Math.round(value)}`).join(', ');
    lines.push(`| ${entry.target} | ${withSpread(entry.requestsPerSecond).replace(/\.\d\d/g, '')} | ${entry.failed} | ${cpu} | ${peak} |`);
  }
  lines.push('');
  lines.push(`### Soak (${options.soakSeconds} s at ${options.soakRate} req/s through Sluice)`);
  lines.push('');
  lines.push('| service | RSS at start MiB | RSS at end MiB | growth |');
  lines.push('|---|---|---|---|');
  for (const [name, entry] of Object.entries(results.soak)) {
    lines.push(`| ${name} | ${entry.startMiB.toFixed(1)} | ${entry.endMiB.toFixed(1)} | ${entry.growthPercent.toFixed(1)}% |`);
  }
  lines.push('');
  lines.push('### Pieces');
  lines.push('');
  lines.push('| piece | figure |');
  lines.push('|---|---|');
  lines.push(`| policy decisions per second (one process, real Redis) | ${round(results.micro.policyDecisionsPerSecond)} |`);
  lines.push(`| accounting events committed per second (real NATS and Postgres) | ${round(results.micro.accountingEventsPerSecond)} |`);
  lines.push(`| router stream translation per chunk | ${results.micro.routerMicrosPerChunk.toFixed(2)} µs |`);
  const hop = results.micro.processRoundTrip;
  lines.push(`| one round trip between two processes, paced every 5 ms (p50 / p99) | ${Math.round(hop.pacedP50Us)} / ${Math.round(hop.pacedP99Us)} µs |`);
  lines.push(`| the same, back to back (p50) | ${Math.round(hop.backToBackP50Us)} µs |`);
  lines.push('');
  lines.push(
    `A request through Sluice makes four process round trips that a direct call does not (edge↔policy, policy↔Redis, edge↔router, and client↔edge on top of router↔provider): at the paced figure above that is ${ms((4 * hop.pacedP50Us) / 1000)} ms of added latency at low rates before any of our code runs.`,
  );
  return lines.join('\n');
}
