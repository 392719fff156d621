import { spawn, type ChildProcess } from 'node:child_process';
import { cpus, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { REPOSITORY_ROOT } from '@sluice/testing';
import type { BenchOptions } from './bench-options.js';
import { percentiles, spread, type Spread } from './latency-stats.js';
import { closedLoop } from './load/closed-loop.js';
import { openLoop } from './load/open-loop.js';
import { measureAccountingThroughput } from './micro/accounting-throughput.js';
import { measurePolicyDecisions } from './micro/policy-decisions.js';
import { measureProcessRoundTrip, type ProcessRoundTrip } from './micro/process-round-trip.js';
import { measureRouterTranslation } from './micro/router-translation.js';
import { peakRssMiB, rssMiB } from './process-stats.js';
import type { Target } from './target.js';
import { directTarget } from './targets/direct-target.js';
import { startPortkeyTarget } from './targets/portkey-target.js';
import { startSluiceTarget } from './targets/sluice-target.js';

export interface LatencyPoint {
  stream: boolean;
  rate: number;
  target: Target['name'];
  /** Scheduled send → last byte, ms, median over rounds with spread. */
  p50: Spread;
  p99: Spread;
  p999: Spread;
  /** Scheduled send → first byte (streams). */
  firstByteP50: Spread;
  firstByteP99: Spread;
  failed: number;
}

export interface AddedLatency {
  stream: boolean;
  rate: number;
  target: Target['name'];
  /** Gateway minus direct, per round, then median and spread; ms. */
  p50: Spread;
  p99: Spread;
  p999: Spread;
  firstByteP50: Spread;
}

export interface ThroughputResult {
  target: Target['name'];
  requestsPerSecond: Spread;
  cpuMicrosPerRequest: Record<string, number>;
  /** Whole-machine busy CPU per request (median of the rounds); absent in results from before it was measured. */
  machineCpuMicrosPerRequest?: Spread;
  failed: number;
}

export interface BenchResults {
  date: string;
  command: string;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; kernel: string };
  options: BenchOptions;
  latency: LatencyPoint[];
  added: AddedLatency[];
  throughput: ThroughputResult[];
  peakRssMiB: Record<string, Record<string, number>>;
  soak: Record<string, { idleMiB: number; startMiB: number; endMiB: number; growthPercent: number }>;
  micro: { policyDecisionsPerSecond: number; accountingEventsPerSecond: number; routerMicrosPerChunk: number; processRoundTrip: ProcessRoundTrip };
  notes: string[];
}

async function startUpstream(latencyMs: number): Promise<{ port: number; child: ChildProcess }> {
  // The compiled file, also when this module runs from source under vitest.
  const script = join(REPOSITORY_ROOT, 'bench', 'dist', 'mock-upstream-main.js');
  const child = spawn(process.execPath, [script, String(latencyMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (line: Buffer) => resolve((JSON.parse(line.toString()) as { port: number }).port));
    child.once('exit', () => reject(new Error('mock upstream exited')));
  });
  return { port, child };
}

const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

export async function runBenchmark(options: BenchOptions, command: string): Promise<BenchResults> {
  const notes: string[] = [];
  const upstream = await startUpstream(options.latencyMs);
  const targets: Target[] = [directTarget(upstream.port, upstream.child.pid!)];
  try {
    log('starting sluice (four services on Postgres, Redis, NATS)');
    const profile = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
    targets.push(await startSluiceTarget(upstream.port, profile));
    if (options.edgeWithRouter) {
      log('starting sluice with the edge and the router in one process');
      targets.push(await startSluiceTarget(upstream.port, profile, 'edge-with-router'));
    }
    if (options.portkey) {
      log('starting portkey');
      targets.push(await startPortkeyTarget(upstream.port));
      notes.push('Portkey is compared on non-streaming requests only: its streaming is broken on Node 20 (Portkey issue #1389).');
    }
    for (const target of targets) {
      await closedLoop(target, { connections: 8, durationMs: Math.min(2_000, options.durationMs), stream: false });
      await closedLoop(target, { connections: 8, durationMs: Math.min(1_000, options.durationMs), stream: true }).catch(() => undefined);
    }

    // Latency at fixed rates; targets alternate inside each round so machine noise hits them alike.
    const latency: LatencyPoint[] = [];
    const added: AddedLatency[] = [];
    for (const stream of [false, true]) {
      const streamTargets = targets.filter((target) => !stream || target.name !== 'portkey');
      for (const rate of options.rates) {
        const rounds = new Map<Target['name'], Array<{ p50: number; p99: number; p999: number; fb50: number; fb99: number; failed: number }>>();
        for (let round = 0; round < options.rounds; round += 1) {
          for (const target of streamTargets) {
            log(`${stream ? 'stream' : 'plain'} ${rate} req/s round ${round + 1} ${target.name}`);
            const result = await openLoop(target, { rate, durationMs: options.durationMs, stream });
            const total = percentiles(result.totalMs);
            const first = percentiles(result.firstByteMs);
            const list = rounds.get(target.name) ?? [];
            list.push({ p50: total.p50, p99: total.p99, p999: total.p999, fb50: first.p50, fb99: first.p99, failed: result.failed });
            rounds.set(target.name, list);
          }
        }
        for (const [name, list] of rounds) {
          latency.push({
            stream,
            rate,
            target: name,
            p50: spread(list.map((r) => r.p50)),
            p99: spread(list.map((r) => r.p99)),
            p999: spread(list.map((r) => r.p999)),
            firstByteP50: spread(list.map((r) => r.fb50)),
            firstByteP99: spread(list.map((r) => r.fb99)),
            failed: list.reduce((sum, r) => sum + r.failed, 0),
          });
        }
        const direct = rounds.get('direct')!;
        for (const [name, list] of rounds) {
          if (name === 'direct') continue;
          const minus = (pick: (r: (typeof list)[number]) => number) => spread(list.map((r, index) => pick(r) - pick(direct[index]!)));
          added.push({ stream, rate, target: name, p50: minus((r) => r.p50), p99: minus((r) => r.p99), p999: minus((r) => r.p999), firstByteP50: minus((r) => r.fb50) });
        }
      }
    }

    // Saturation and CPU per request.
    const throughput: ThroughputResult[] = [];
    const perTarget = new Map<Target['name'], Array<Awaited<ReturnType<typeof closedLoop>>>>();
    for (let round = 0; round < options.rounds; round += 1) {
      for (const target of targets) {
        log(`throughput round ${round + 1} ${target.name}`);
        // Unmeasured, right before each round: a process that sat idle while the other targets ran (or
        // served a trickle in the paced phases) runs code and a young generation tuned for that; the
        // figures are for one that has adapted to saturation.
        await closedLoop(target, { connections: options.connections, durationMs: Math.min(2_000, options.throughputMs), stream: false });
        const result = await closedLoop(target, { connections: options.connections, durationMs: options.throughputMs, stream: false });
        perTarget.set(target.name, [...(perTarget.get(target.name) ?? []), result]);
      }
    }
    for (const [name, list] of perTarget) {
      const processes = Object.keys(list[0]!.cpuMicrosPerRequest);
      throughput.push({
        target: name,
        requestsPerSecond: spread(list.map((r) => r.requestsPerSecond)),
        cpuMicrosPerRequest: Object.fromEntries(processes.map((process) => [process, spread(list.map((r) => r.cpuMicrosPerRequest[process]!)).median])),
        machineCpuMicrosPerRequest: spread(list.map((r) => r.machineCpuMicrosPerRequest)),
        failed: list.reduce((sum, r) => sum + r.failed, 0),
      });
    }

    // Memory over a soak at a fixed rate, for each Sluice shape; the edge-with-router shape's processes
    // are keyed "sluice-edge-router/<process>".
    const soak: BenchResults['soak'] = {};
    for (const target of targets.filter((candidate) => candidate.name.startsWith('sluice'))) {
      log(`soak: ${options.soakSeconds}s at ${options.soakRate} req/s ${target.name}`);
      const key = (name: string) => (target.name === 'sluice' ? name : `${target.name}/${name}`);
      const sample = () => Object.fromEntries(Object.entries(target.processes()).map(([name, pid]) => [name, rssMiB(pid)]));
      const idle = sample();
      // Growth is measured from a tenth of the way in: by then each heap has grown to its working size at
      // this load, so what is left is what a leak would add, not a heap filling up from idle.
      let soakStart: Record<string, number> = idle;
      const startTimer = setTimeout(() => (soakStart = sample()), options.soakSeconds * 100);
      await openLoop(target, { rate: options.soakRate, durationMs: options.soakSeconds * 1000, stream: false });
      clearTimeout(startTimer);
      for (const [name, pid] of Object.entries(target.processes())) {
        const end = rssMiB(pid);
        const start = soakStart[name]!;
        soak[key(name)] = { idleMiB: idle[name]!, startMiB: start, endMiB: end, growthPercent: ((end - start) / start) * 100 };
      }
    }
    const peak = Object.fromEntries(
      targets.map((target) => [target.name, Object.fromEntries(Object.entries(target.processes()).map(([name, pid]) => [name, peakRssMiB(pid)]))]),
    );

    log('micro-benchmarks');
    const micro = {
      policyDecisionsPerSecond: await measurePolicyDecisions(options.throughputMs),
      accountingEventsPerSecond: await measureAccountingThroughput(options.rounds === 1 && options.durationMs < 5_000 ? 2_000 : 50_000),
      routerMicrosPerChunk: measureRouterTranslation(options.rounds === 1 && options.durationMs < 5_000 ? 5 : 200),
      processRoundTrip: await measureProcessRoundTrip(options.rounds === 1 && options.durationMs < 5_000 ? 100 : 2_000),
    };

    const cpu = cpus();
    return {
      date: new Date().toISOString(),
      command,
      machine: {
        cpu: cpu[0]?.model ?? 'unknown',
        cores: cpu.length,
        memoryGiB: Math.round(totalmem() / 1024 ** 3),
        node: process.version,
        kernel: release(),
      },
      options,
      latency,
      added,
      throughput,
      peakRssMiB: peak,
      soak,
      micro,
      notes,
    };
  } finally {
    for (const target of targets) await target.stop().catch(() => undefined);
    upstream.child.kill('SIGTERM');
  }
}
