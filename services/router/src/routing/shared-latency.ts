import { hashTagged, pipelinePerItem, type RedisClient } from '@sluice/common';
import type { DeploymentStats } from './deployment-stats.js';

// latency-based-routing on every router replica from the same picture: each replica publishes its
// moving average per deployment to Redis once a second and reads every replica's, so a replica that has
// not yet called a deployment still knows it is slow. A second of staleness is fine: these steer load,
// they are not limits.

/** A replica's figure older than this is left out (the replica went away, or stopped calling it). */
const FRESH_MS = 10_000;
const KEY_TTL_MS = 30_000;

export interface SharedLatencyOptions {
  redis: RedisClient;
  /** This replica's name among the others. */
  replicaId: string;
  deploymentIds: readonly string[];
  local: DeploymentStats;
  intervalMs?: number;
  now?: () => number;
}

// Tagged like the deployment's cooldown keys: one slot per deployment on a Redis Cluster.
const keyOf = (deploymentId: string) => `router:${hashTagged(deploymentId)}:latency`;

export class SharedLatency {
  private readonly shared = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly options: SharedLatencyOptions) {
    this.now = options.now ?? Date.now;
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

  /** Publishes this replica's figures and reads everyone's, in one round trip (one per deployment on a cluster). */
  async sync(): Promise<void> {
    const { redis, replicaId, deploymentIds, local } = this.options;
    if (deploymentIds.length === 0) return;
    const now = this.now();
    const results = await pipelinePerItem(redis, deploymentIds, (pipeline, id) => {
      const mine = local.localLatencyMs(id);
      if (mine !== undefined) {
        pipeline.hset(keyOf(id), replicaId, `${mine}:${now}`);
        pipeline.pexpire(keyOf(id), KEY_TTL_MS);
      }
      pipeline.hgetall(keyOf(id));
    });
    deploymentIds.forEach((id, index) => {
      const [error, value] = results[index]!.at(-1) ?? [null, null];
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
