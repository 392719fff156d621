import type { Redis } from '@sluice/common';
import type { DeploymentStats } from './deployment-stats.js';

// latency-based-routing on every router replica from the same picture: each replica publishes its
// moving average per deployment to Redis once a second and reads every replica's, so a replica that has
// not yet called a deployment still knows it is slow. A second of staleness is fine: these steer load,
// they are not limits.

/** A replica's figure older than this is left out (the replica went away, or stopped calling it). */
const FRESH_MS = 10_000;
const KEY_TTL_MS = 30_000;

export interface SharedLatencyOptions {
  redis: Redis;
  /** This replica's name among the others. */
  replicaId: string;
  deploymentIds: readonly string[];
  local: DeploymentStats;
  intervalMs?: number;
  now?: () => number;
}

const keyOf = (deploymentId: string) => `router:latency:${deploymentId}`;

export class SharedLatency {
  private readonly shared = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  /** Changed by a config reload (track). */
  private deploymentIds: readonly string[];

  constructor(private readonly options: SharedLatencyOptions) {
    this.now = options.now ?? Date.now;
    this.deploymentIds = options.deploymentIds;
  }

  /** The deployments of a reloaded config, shared from the next sync on. */
  track(deploymentIds: readonly string[]): void {
    this.deploymentIds = deploymentIds;
  }

  start(): this {
    this.timer = setInterval(() => void this.sync().catch(() => undefined), this.options.intervalMs ?? 1_000);
    this.timer.unref();
    return this;
  }

  /** The average over every replica's fresh figure, or undefined when none has one. */
  latencyMs(deploymentId: string): number | undefined {
    return this.shared.get(deploymentId);
  }

  /** Publishes this replica's figures and reads everyone's, in one round trip. */
  async sync(): Promise<void> {
    const { redis, replicaId, local } = this.options;
    const deploymentIds = this.deploymentIds;
    if (deploymentIds.length === 0) return;
    const now = this.now();
    const pipeline = redis.pipeline();
    const reads: number[] = [];
    let commands = 0;
    for (const id of deploymentIds) {
      const mine = local.localLatencyMs(id);
      if (mine !== undefined) {
        pipeline.hset(keyOf(id), replicaId, `${mine}:${now}`);
        pipeline.pexpire(keyOf(id), KEY_TTL_MS);
        commands += 2;
      }
      pipeline.hgetall(keyOf(id));
      reads.push(commands);
      commands += 1;
    }
    const results = (await pipeline.exec()) ?? [];
    deploymentIds.forEach((id, index) => {
      const [error, value] = results[reads[index]!] ?? [null, null];
      if (error || value === null || typeof value !== 'object') return;
      const fields = value as Record<string, string>;
      const fresh = Object.values(fields)
        .map((field) => field.split(':').map(Number) as [number, number])
        .filter(([ms, at]) => Number.isFinite(ms) && now - at <= FRESH_MS)
        .map(([ms]) => ms);
      if (fresh.length > 0) this.shared.set(id, fresh.reduce((sum, ms) => sum + ms, 0) / fresh.length);
      else this.shared.delete(id);
    });
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
