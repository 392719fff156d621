import { readFileSync } from 'node:fs';

// Linux's clock tick for /proc/<pid>/stat CPU times; 100 on every mainstream kernel build.
const TICKS_PER_SECOND = 100;

/** User + system CPU time of a process so far, in microseconds (10 ms resolution). */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1_000_000) / TICKS_PER_SECOND;
}

/**
 * CPU time the whole machine spent busy so far (user, nice, system, irq, softirq of every core; not idle,
 * iowait or steal), in microseconds: the load generator, the mock provider, Postgres, Redis and NATS too.
 */
export function machineBusyMicros(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = fields;
  return ((user + nice + system + irq + softirq) * 1_000_000) / TICKS_PER_SECOND;
}

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** Resident memory now, MiB. */
export function rssMiB(pid: number): number {
  return statusField(pid, 'VmRSS');
}

/** Peak resident memory since the process started, MiB. */
export function peakRssMiB(pid: number): number {
  return statusField(pid, 'VmHWM');
}
