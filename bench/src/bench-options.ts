import { parseArgs } from 'node:util';

export interface BenchOptions {
  rates: number[];
  durationMs: number;
  rounds: number;
  throughputMs: number;
  connections: number;
  soakSeconds: number;
  soakRate: number;
  latencyMs: number;
  portkey: boolean;
  /** Also measure Sluice with the edge and the router in one process (the edge-with-router shape). */
  edgeWithRouter: boolean;
  /** Directory for --cpu-prof profiles of the Sluice services; none when unset. */
  profileDir: string | undefined;
  /** Write bench/results/<date>.json and regenerate docs/benchmarks.md. */
  write: boolean;
}

export const QUICK: Partial<BenchOptions> = {
  rates: [50],
  durationMs: 1_000,
  rounds: 1,
  throughputMs: 1_000,
  connections: 10,
  soakSeconds: 2,
  soakRate: 50,
};

export function parseBenchOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      rates: { type: 'string', default: '100,200,500' },
      duration: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '3' },
      throughput: { type: 'string', default: '10' },
      connections: { type: 'string', default: '50' },
      'soak-seconds': { type: 'string', default: '300' },
      'soak-rate': { type: 'string', default: '200' },
      'latency-ms': { type: 'string', default: '0' },
      'no-portkey': { type: 'boolean', default: false },
      'no-edge-router': { type: 'boolean', default: false },
      profile: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const options: BenchOptions = {
    rates: values.rates!.split(',').map(Number),
    durationMs: Number(values.duration) * 1000,
    rounds: Number(values.rounds),
    throughputMs: Number(values.throughput) * 1000,
    connections: Number(values.connections),
    soakSeconds: Number(values['soak-seconds']),
    soakRate: Number(values['soak-rate']),
    latencyMs: Number(values['latency-ms']),
    portkey: !values['no-portkey'],
    edgeWithRouter: !values['no-edge-router'],
    profileDir: values.profile,
    write: !values['no-write'],
  };
  return values.quick ? { ...options, ...QUICK } : options;
}
