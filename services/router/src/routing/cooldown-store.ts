// A deployment that keeps failing (more than allowed_fails failures in a minute) or answers 429 with
// Retry-After is cooled down: no router replica sends it traffic until the cooldown ends by itself.
// Checks are local and synchronous (they run for every request); failures are rare and may wait on
// Redis. The Redis store shares cooldowns between replicas; the memory store is embedded mode's.

export interface FailureReport {
  deploymentId: string;
  /** Failures tolerated within a minute before a cooldown starts. */
  allowedFails: number;
  cooldownMs: number;
  /** Cool down at once (a 429 with Retry-After), for cooldownMs. */
  immediate: boolean;
}

export interface CooldownStore {
  coolingDown(deploymentId: string): boolean;
  /** Milliseconds until the deployment's cooldown ends, 0 when it is not cooling down (for /model/info). */
  remainingMs(deploymentId: string): number;
  /** Counts a failure; resolves true when the deployment is now cooling down. */
  recordFailure(report: FailureReport): Promise<boolean>;
  /** The deployments of a reloaded config (a shared store reads their cooldowns); a local store needs none. */
  track?(deploymentIds: readonly string[]): void;
  close(): Promise<void>;
}

const MINUTE = 60_000;

/** Cooldowns of one process (embedded mode), and the local mirror the Redis store keeps. */
export class MemoryCooldownStore implements CooldownStore {
  private readonly until = new Map<string, number>();
  private readonly failures = new Map<string, { minute: number; count: number }>();
  constructor(private readonly now: () => number = Date.now) {}

  coolingDown(deploymentId: string): boolean {
    const until = this.until.get(deploymentId);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.until.delete(deploymentId);
    return false;
  }

  remainingMs(deploymentId: string): number {
    return this.coolingDown(deploymentId) ? this.until.get(deploymentId)! - this.now() : 0;
  }

  /** Marks a deployment as cooling down for `ms` from now (used by the Redis store's mirror). */
  coolFor(deploymentId: string, ms: number): void {
    if (ms <= 0) return;
    const until = this.now() + ms;
    if ((this.until.get(deploymentId) ?? 0) < until) this.until.set(deploymentId, until);
  }

  countFailure(deploymentId: string): number {
    const minute = Math.floor(this.now() / MINUTE);
    const entry = this.failures.get(deploymentId);
    const count = entry && entry.minute === minute ? entry.count + 1 : 1;
    this.failures.set(deploymentId, { minute, count });
    return count;
  }

  async recordFailure(report: FailureReport): Promise<boolean> {
    const count = this.countFailure(report.deploymentId);
    if (!report.immediate && count <= report.allowedFails) return false;
    this.coolFor(report.deploymentId, report.cooldownMs);
    return true;
  }

  async close(): Promise<void> {}
}
