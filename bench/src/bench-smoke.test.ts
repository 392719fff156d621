// A few seconds of the real benchmark, so `npm run bench` keeps working: every phase runs against the
// real stack and produces figures. The figures themselves are not judged here (that is what the
// benchmark is for, on a quiet machine); only that they exist and requests succeeded.
import { expect, test } from 'vitest';
import { parseBenchOptions } from './bench-options.js';
import { benchmarksMarkdown } from './report/benchmarks-markdown.js';
import { runBenchmark } from './run-benchmark.js';

test('the quick benchmark runs every phase and produces figures', async () => {
  const options = { ...parseBenchOptions(['--quick', '--no-portkey']), soakSeconds: 1 };
  const results = await runBenchmark(options, 'npm run bench -- --quick --no-portkey');
  expect(results.latency.filter((point) => point.target === 'sluice')).toHaveLength(2);
  for (const point of results.latency) {
    expect(point.failed).toBe(0);
    expect(point.p50.median).toBeGreaterThan(0);
  }
  const sluice = results.throughput.find((entry) => entry.target === 'sluice')!;
  expect(sluice.failed).toBe(0);
  expect(sluice.requestsPerSecond.median).toBeGreaterThan(0);
  expect(Object.keys(sluice.cpuMicrosPerRequest).sort()).toEqual(['accounting', 'edge', 'policy', 'router']);
  expect(results.micro.policyDecisionsPerSecond).toBeGreaterThan(0);
  expect(results.micro.accountingEventsPerSecond).toBeGreaterThan(0);
  expect(results.micro.routerMicrosPerChunk).toBeGreaterThan(0);
  expect(results.micro.processRoundTrip.pacedP50Us).toBeGreaterThan(0);
  expect(results.micro.processRoundTrip.backToBackP50Us).toBeGreaterThan(0);
  const together = results.throughput.find((entry) => entry.target === 'sluice-edge-router')!;
  expect(together.failed).toBe(0);
  expect(Object.keys(together.cpuMicrosPerRequest).sort()).toEqual(['accounting', 'edge+router', 'policy']);
  expect(sluice.machineCpuMicrosPerRequest!.median).toBeGreaterThan(0);
  expect(Object.keys(results.soak)).toContain('sluice-edge-router/edge+router');
  // Growth is counted from the sample a tenth of the way in, not from the idle process.
  for (const entry of Object.values(results.soak)) {
    expect(entry.idleMiB).toBeGreaterThan(0);
    expect(entry.startMiB).toBeGreaterThan(0);
    expect(entry.growthPercent).toBeCloseTo(((entry.endMiB - entry.startMiB) / entry.startMiB) * 100, 6);
  }
  expect(benchmarksMarkdown(results, 'x.json', 'x.svg')).toContain('### Budget');
}, 240_000);
