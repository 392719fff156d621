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

const SHAPES = [
  ['sluice', 'four services'],
  ['sluice-edge-router', 'edge with router'],
] as const;

/**
 * Issue 20's budget, set against Portkey measured in the same run: one column per Sluice shape, each cell
 * the figure and whether it meets the target.
 */
function againstPortkeyRows(results: BenchResults): string[] {
  const shapes = SHAPES.filter(([target]) => results.throughput.some((entry) => entry.target === target));
  const portkeyThroughput = results.throughput.find((entry) => entry.target === 'portkey');
  if (!portkeyThroughput || shapes.length === 0) return [];
  const verdict = (pass: boolean) => (pass ? 'met' : '**missed**');
  const rates = results.options.rates;
  const added = (target: string, rate: number, stream: boolean) => results.added.find((entry) => entry.target === target && entry.rate === rate && entry.stream === stream);
  const perRate = (target: string, value: (rate: number) => { ours: number; limit: number } | undefined) => {
    const points = rates.map((rate) => value(rate)).filter((point): point is { ours: number; limit: number } => point !== undefined);
    if (points.length === 0) return 'n/a';
    const text = `${points.map((point) => ms(point.ours)).join(' / ')} against ${points.map((point) => ms(point.limit)).join(' / ')} ms`;
    return `${text}: ${verdict(points.every((point) => point.ours <= point.limit))}`;
  };
  const rows: Array<[string, (target: string) => string]> = [
    [
      `added p50 below Portkey's (plain, at ${rates.join(' / ')} req/s)`,
      (target) => perRate(target, (rate) => {
        const ours = added(target, rate, false);
        const theirs = added('portkey', rate, false);
        return ours && theirs ? { ours: ours.p50.median, limit: theirs.p50.median } : undefined;
      }),
    ],
    [
      `added p99 at most half of Portkey's`,
      (target) => perRate(target, (rate) => {
        const ours = added(target, rate, false);
        const theirs = added('portkey', rate, false);
        return ours && theirs ? { ours: ours.p99.median, limit: theirs.p99.median / 2 } : undefined;
      }),
    ],
    [
      `streaming added time to first byte at most Portkey's non-streaming added p50`,
      (target) => perRate(target, (rate) => {
        const ours = added(target, rate, true);
        const theirs = added('portkey', rate, false);
        return ours && theirs ? { ours: ours.firstByteP50.median, limit: theirs.p50.median } : undefined;
      }),
    ],
    [
      'saturated throughput at least 3.5× Portkey\'s (median of rounds; worst round against best)',
      (target) => {
        const ours = results.throughput.find((entry) => entry.target === target)!;
        const ratio = ours.requestsPerSecond.median / portkeyThroughput.requestsPerSecond.median;
        const worst = ours.requestsPerSecond.min / portkeyThroughput.requestsPerSecond.max;
        return `${round(ours.requestsPerSecond.median)} against ${round(portkeyThroughput.requestsPerSecond.median)} req/s, ${ratio.toFixed(2)}× (${worst.toFixed(2)}×): ${verdict(ratio >= 3.5)}`;
      },
    ],
    [
      'whole-machine CPU per request at most 0.4× Portkey\'s (load generator and mock provider in both)',
      (target) => {
        const ours = results.throughput.find((entry) => entry.target === target)!.machineCpuMicrosPerRequest;
        const theirs = portkeyThroughput.machineCpuMicrosPerRequest;
        if (!ours || !theirs) return 'n/a';
        const ratio = ours.median / theirs.median;
        return `${round(ours.median)} against ${round(theirs.median)} µs, ${ratio.toFixed(2)}×: ${verdict(ratio <= 0.4)}`;
      },
    ],
    [
      'memory flat over the soak (< 10% growth), each process under 150 MB',
      (target) => {
        const prefix = target === 'sluice' ? '' : `${target}/`;
        const growth = Object.entries(results.soak)
          .filter(([name]) => (prefix === '' ? !name.includes('/') : name.startsWith(prefix)))
          .map(([, entry]) => entry.growthPercent);
        const peak = Math.max(...Object.values(results.peakRssMiB[target] ?? {}));
        if (growth.length === 0) return `${peak.toFixed(0)} MiB peak`;
        const worst = Math.max(...growth);
        return `${worst.toFixed(1)}% worst growth, ${peak.toFixed(0)} MiB peak: ${verdict(worst < 10 && peak < 150)}`;
      },
    ],
  ];
  return [
    `| target | ${shapes.map(([, label]) => label).join(' | ')} |`,
    `|---|${shapes.map(() => '---').join('|')}|`,
    ...rows.map(([name, cell]) => `| ${name} | ${shapes.map(([target]) => cell(target)).join(' | ')} |`),
  ];
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
  const portkeyRows = againstPortkeyRows(results);
  if (portkeyRows.length > 0) {
    lines.push('### Against Portkey in the same run (issue 20), per deployment shape');
    lines.push('');
    lines.push(...portkeyRows);
    lines.push('');
  }
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
  lines.push('| target | req/s | failed | CPU µs per request (per process) | whole machine µs per request | peak RSS MiB (per process) |');
  lines.push('|---|---|---|---|---|---|');
  for (const entry of results.throughput) {
    const cpu = Object.entries(entry.cpuMicrosPerRequest).map(([name, value]) => `${name} ${Math.round(value)}`).join(', ');
    const peak = Object.entries(results.peakRssMiB[entry.target] ?? {}).map(([name, value]) => `${name} ${Math.round(value)}`).join(', ');
    const machine = entry.machineCpuMicrosPerRequest ? round(entry.machineCpuMicrosPerRequest.median) : 'n/a';
    lines.push(`| ${entry.target} | ${withSpread(entry.requestsPerSecond).replace(/\.\d\d/g, '')} | ${entry.failed} | ${cpu} | ${machine} | ${peak} |`);
  }
  lines.push('');
  lines.push(`### Soak (${options.soakSeconds} s at ${options.soakRate} req/s through each Sluice shape)`);
  lines.push('');
  lines.push('Growth is from a tenth of the way in, once each heap has reached its working size at this load, to the end.');
  lines.push('');
  lines.push('| service | RSS before the load MiB | RSS a tenth in MiB | RSS at end MiB | growth |');
  lines.push('|---|---|---|---|---|');
  for (const [name, entry] of Object.entries(results.soak)) {
    lines.push(`| ${name} | ${entry.idleMiB.toFixed(1)} | ${entry.startMiB.toFixed(1)} | ${entry.endMiB.toFixed(1)} | ${entry.growthPercent.toFixed(1)}% |`);
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
