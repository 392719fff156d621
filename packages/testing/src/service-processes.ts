import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICE_NODE_FLAGS } from '@sluice/common';
import { REPOSITORY_ROOT } from './repository-paths.js';

// Runs the compiled services (npm test builds them first) as real processes, the way they run in
// production, and reads their ports from their "ready" log lines.

export type ServiceName = 'policy' | 'router' | 'accounting' | 'edge';

export interface ServiceProcess {
  name: ServiceName;
  child: ChildProcess;
  /** Every line the process printed. */
  logs: string[];
  /** grpc: the gRPC port; http: the health and metrics side port (every service); edge: the edge's API port. */
  ports: { grpc?: number; http?: number; edge?: number };
  exited: Promise<number | null>;
}

const READY_TIMEOUT_MS = 30_000;
// Long runs (benchmarks, soaks) must not grow the test process without bound: past this many lines the
// older half is dropped.
const MAX_LOG_LINES = 20_000;

/** Writes a config (an object; JSON is YAML) to a temporary file and returns its path. */
export function writeConfigFile(config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-config-'));
  const path = join(dir, 'config.yaml');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** The edge and the router in one process (the launcher's edge-with-router shape); it reports as the edge. */
export const EDGE_WITH_ROUTER_SCRIPT = join(REPOSITORY_ROOT, 'packages', 'edge-with-router', 'dist', 'main.js');

/**
 * `nodeArguments` go before the script, e.g. `--cpu-prof` for profiling a benchmark; `script` replaces the
 * service's own main.js (the process must still log "<name> ready").
 */
export function startService(
  name: ServiceName,
  env: Record<string, string>,
  nodeArguments: string[] = [],
  script = join(REPOSITORY_ROOT, 'services', name, 'dist', 'main.js'),
): Promise<ServiceProcess> {
  // The flags the services ship with, so tests and benchmarks run what production runs.
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, ...nodeArguments, script], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const ports: ServiceProcess['ports'] = {};
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within ${READY_TIMEOUT_MS}ms:\n${logs.slice(-30).join('\n')}`));
    }, READY_TIMEOUT_MS);
    const onLine = (line: string) => {
      logs.push(line);
      if (logs.length > MAX_LOG_LINES) logs.splice(0, MAX_LOG_LINES / 2);
      if (!line.includes(' ready"')) return;
      try {
        const record = JSON.parse(line) as { msg?: string; grpcPort?: number; httpPort?: number; port?: number };
        if (record.msg !== `${name} ready`) return;
        ports.grpc = record.grpcPort;
        ports.http = record.httpPort;
        ports.edge = record.port;
        clearTimeout(timer);
        resolve({ name, child, logs, ports, exited });
      } catch {
        // Not a JSON log line.
      }
    };
    let pending = { stdout: '', stderr: '' };
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream]!.setEncoding('utf8');
      child[stream]!.on('data', (text: string) => {
        const lines = (pending[stream] + text).split('\n');
        pending = { ...pending, [stream]: lines.pop() ?? '' };
        for (const line of lines) onLine(line);
      });
    }
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready:\n${logs.slice(-30).join('\n')}`));
    });
  });
}

export interface Stack {
  edgeUrl: string;
  services: Record<ServiceName, ServiceProcess>;
  /** Environment each service was started with (ports pinned after the first start). */
  envOf(name: ServiceName): Record<string, string>;
  /** Starts a service again on the ports it had. */
  restart(name: ServiceName): Promise<ServiceProcess>;
  /** Sends a signal and waits for the process to exit. */
  kill(name: ServiceName, signal: NodeJS.Signals): Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * `four-services`: each service its own process, as the chart deploys them by default. `edge-with-router`:
 * the edge and the router in one process (then `services.router` is the same process as `services.edge`,
 * and restarting either restarts both).
 */
export type StackShape = 'four-services' | 'edge-with-router';

export async function startStack(env: Record<string, string>, nodeArguments: string[] = [], shape: StackShape = 'four-services'): Promise<Stack> {
  const envs = {} as Record<ServiceName, Record<string, string>>;
  const services = {} as Record<ServiceName, ServiceProcess>;
  const upper = (name: ServiceName) => name.toUpperCase();
  const separate = shape === 'edge-with-router' ? (['policy', 'accounting'] as const) : (['policy', 'router', 'accounting'] as const);
  for (const name of ['policy', 'router', 'accounting'] as const) {
    envs[name] = { ...env, [`SLUICE_${upper(name)}_PORT`]: '0', [`SLUICE_${upper(name)}_HTTP_PORT`]: '0' };
  }
  const started = await Promise.all(separate.map((name) => startService(name, envs[name], nodeArguments)));
  for (const service of started) {
    services[service.name] = service;
    envs[service.name] = {
      ...envs[service.name],
      [`SLUICE_${upper(service.name)}_PORT`]: String(service.ports.grpc),
      [`SLUICE_${upper(service.name)}_HTTP_PORT`]: String(service.ports.http),
    };
  }
  const together = shape === 'edge-with-router';
  envs.edge = {
    ...env,
    ...(together ? envs.router : {}),
    SLUICE_EDGE_PORT: '0',
    SLUICE_EDGE_METRICS_PORT: '0',
    SLUICE_POLICY_ADDRESS: `127.0.0.1:${services.policy.ports.grpc}`,
    ...(together ? {} : { SLUICE_ROUTER_ADDRESS: `127.0.0.1:${services.router.ports.grpc}` }),
    SLUICE_ACCOUNTING_ADDRESS: `127.0.0.1:${services.accounting.ports.grpc}`,
  };
  const startEdge = () => (together ? startService('edge', envs.edge, nodeArguments, EDGE_WITH_ROUTER_SCRIPT) : startService('edge', envs.edge, nodeArguments));
  services.edge = await startEdge();
  if (together) services.router = services.edge;
  envs.edge.SLUICE_EDGE_PORT = String(services.edge.ports.edge);
  envs.edge.SLUICE_EDGE_METRICS_PORT = String(services.edge.ports.http);

  const kill = async (name: ServiceName, signal: NodeJS.Signals) => {
    const service = services[name];
    if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill(signal);
    return service.exited;
  };
  return {
    edgeUrl: `http://127.0.0.1:${services.edge.ports.edge}`,
    services,
    envOf: (name) => envs[name],
    async restart(name) {
      if (together && (name === 'edge' || name === 'router')) {
        services.edge = services.router = await startEdge();
        return services.edge;
      }
      services[name] = await startService(name, envs[name], nodeArguments);
      return services[name];
    },
    kill,
    async stop() {
      await Promise.all(
        (Object.keys(services) as ServiceName[]).filter((name) => !(together && name === 'router')).map(async (name) => {
          const timer = setTimeout(() => services[name].child.kill('SIGKILL'), 15_000);
          await kill(name, 'SIGTERM');
          clearTimeout(timer);
        }),
      );
    },
  };
}

/**
 * Ports nobody listens on right now, for processes that must be told their ports in advance (the
 * launcher's children find each other by port). Another process could take one in between; tests that
 * need this accept that small race.
 */
export async function freePorts(count: number): Promise<number[]> {
  const { createServer } = await import('node:net');
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<import('node:net').Server>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((server) => (server.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
