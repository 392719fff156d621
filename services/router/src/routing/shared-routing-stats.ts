import { hashTagged, pipelinePerItem, type RedisClient } from '@sluice/common';
import type { DeploymentStats } from './deployment-stats.js';

// Routing statistics on every router replica from the same picture: each replica publishes its own
// figures per deployment to Redis once a second (moving average latency, requests in flight, this
// minute's requests and tokens) and reads every replica's, in one pipelined round trip (one per deployment on a cluster) off the request
// path. latency-based-routing then averages everyone's latency, least-busy adds the other replicas'
// requests in flight to its own, and usage-based-routing their minute's usage. A second of staleness is
// fine: these steer load, they are not limits (those are exact, see deployment-limits.ts).

/** A replica's figures older than this are left out (the replica went away, or stopped publishing). */
const FRESH_MS = 10_000;
const KEY_TTL_MS = 30_000;
const MINUTE = 60_000;

/** What the replicas together report for a deployment. */
export interface SharedFigures {
  /** The average over every replica's fresh latency figure; undefined when none has one. */
  latencyMs: number | undefined;
  /** The other replicas' requests in flight, and their requests and tokens in `minute`. */
  othersInFlight: number;
  minute: number;
  othersRequests: number;
  othersTokens: number;
}

export interface SharedRoutingStatsOptions {
  redis: RedisClient;
  /** This replica's name among the others. */
  replicaId: string;
  deploymentIds: readonly string[];
  local: DeploymentStats;
  intervalMs?: number;
  now?: () => number;
}

// Tagged like the deployment's cooldown keys: one slot per deployment on a Redis Cluster.
const keyOf = (deploymentId: string) => `router:${hashTagged(deploymentId)}:stats`;

export class SharedRoutingStats {
  private readonly shared = new Map<string, SharedFigures>();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  /** Changed by a config reload (track). */
  private deploymentIds: readonly string[];

  constructor(private readonly options: SharedRoutingStatsOptions) {
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

  figures(deploymentId: string): SharedFigures | undefined {
    return this.shared.get(deploymentId);
  }

  /** Publishes this replica's figures and reads everyone's, in one round trip. */
  async sync(): Promise<void> {
    const { redis, replicaId, local } = this.options;
    const deploymentIds = this.deploymentIds;
    if (deploymentIds.length === 0) return;
    const now = this.now();
    const minute = Math.floor(now / MINUTE);
    const results = await pipelinePerItem(redis, deploymentIds, (pipeline, id) => {
      const own = local.own(id);
      if (own) {
        // latency (empty when unmeasured), in flight, minute, requests, tokens, published at
        pipeline.hset(keyOf(id), replicaId, `${own.latencyMs ?? ''},${own.inFlight},${own.minute},${own.requests},${own.tokens},${now}`);
        pipeline.pexpire(keyOf(id), KEY_TTL_MS);
      }
      pipeline.hgetall(keyOf(id));
    });
    deploymentIds.forEach((id, index) => {
      const [error, value] = results[index]!.at(-1) ?? [null, null];
      if (error || value === null || typeof value !== 'object') return;
      const figures: SharedFigures = { latencyMs: undefined, othersInFlight: 0, minute, othersRequests: 0, othersTokens: 0 };
      let latencySum = 0;
      let latencies = 0;
      for (const [replica, field] of Object.entries(value as Record<string, string>)) {
        const [latency, inFlight, theirMinute, requests, tokens, at] = field.split(',');
        if (!(now - Number(at) <= FRESH_MS)) continue;
        if (latency !== '' && Number.isFinite(Number(latency))) {
          latencySum += Number(latency);
          latencies += 1;
        }
        // This replica's own load is read live from its memory, never from Redis.
        if (replica === replicaId) continue;
        figures.othersInFlight += Number(inFlight) || 0;
        if (Number(theirMinute) === minute) {
          figures.othersRequests += Number(requests) || 0;
          figures.othersTokens += Number(tokens) || 0;
        }
      }
      if (latencies > 0) figures.latencyMs = latencySum / latencies;
      this.shared.set(id, figures);
    });
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
