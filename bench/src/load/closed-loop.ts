import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { cpuMicros, machineBusyMicros } from '../process-stats.js';
import { requestBody, type Target } from '../target.js';

export interface ClosedLoopResult {
  connections: number;
  completed: number;
  failed: number;
  seconds: number;
  requestsPerSecond: number;
  /** CPU time per completed request, microseconds, per process of the target. */
  cpuMicrosPerRequest: Record<string, number>;
  /** Busy CPU time of the whole machine per completed request, microseconds (load generator included). */
  machineCpuMicrosPerRequest: number;
}

/** `connections` clients each sending the next request as soon as the last answer ends: saturation. */
export async function closedLoop(target: Target, options: { connections: number; durationMs: number; stream: boolean }): Promise<ClosedLoopResult> {
  const pool = new Pool(target.origin, { connections: options.connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const body = requestBody(target, options.stream);
  const headers = { 'content-type': 'application/json', ...target.headers };
  let completed = 0;
  let failed = 0;
  const processes = target.processes();
  const cpuBefore = Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, cpuMicros(pid)]));
  const machineBefore = machineBusyMicros();
  const start = performance.now();
  const deadline = start + options.durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      try {
        const response = await pool.request({ path: target.path, method: 'POST', headers, body });
        await response.body.dump({ limit: Number.MAX_SAFE_INTEGER });
        if (response.statusCode === 200) completed += 1;
        else failed += 1;
      } catch {
        failed += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  const seconds = (performance.now() - start) / 1000;
  const machineCpuMicrosPerRequest = completed > 0 ? (machineBusyMicros() - machineBefore) / completed : Number.NaN;
  const cpuMicrosPerRequest = Object.fromEntries(
    Object.entries(processes).map(([name, pid]) => [name, completed > 0 ? (cpuMicros(pid) - cpuBefore[name]!) / completed : Number.NaN]),
  );
  await pool.close();
  return { connections: options.connections, completed, failed, seconds, requestsPerSecond: completed / seconds, cpuMicrosPerRequest, machineCpuMicrosPerRequest };
}
