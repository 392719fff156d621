import type { Logger, Redis } from '@sluice/common';
import {
  type DeploymentLimitStore,
  type Lease,
  LIMIT_WINDOW_MS,
  type LimitReason,
  type LimitsOfDeployment,
  MemoryDeploymentLimits,
  type Reservation,
} from './deployment-limits.js';

// Per-deployment limits shared by every router replica: one script run reserves (checks the window and
// the parallel slots, and takes both, or nothing), one more after the attempt settles the tokens and
// frees the slot. Both keys of a deployment carry its id as the hash tag, so each script touches one
// Redis Cluster slot; ioredis adds the configured prefix to the declared KEYS.
//
// KEYS: the window hash (ws start, wr requests, wt tokens), the slots sorted set (attempt id scored by
// the time its slot expires). ARGV: now ms, window ms, rpm, tpm, parallel (0 = none), token estimate,
// attempt id, slot ttl ms. Returns {1, window start, tokens reserved} or {0, reason, retry after ms}.
const RESERVE = `
local now = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[2])
local rpm = tonumber(ARGV[3])
local tpm = tonumber(ARGV[4])
local parallel = tonumber(ARGV[5])
local need = tonumber(ARGV[6])
local f = redis.call('HMGET', KEYS[1], 'ws', 'wr', 'wt')
local ws = tonumber(f[1])
local wr = tonumber(f[2]) or 0
local wt = tonumber(f[3]) or 0
if not ws or now - ws >= windowMs then
  ws = now
  wr = 0
  wt = 0
end
if tpm > 0 and need > tpm then need = tpm end
if rpm > 0 and wr + 1 > rpm then return {0, 'rpm', ws + windowMs - now} end
if tpm > 0 and wt + need > tpm then return {0, 'tpm', ws + windowMs - now} end
if parallel > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= parallel then return {0, 'parallel', 1000} end
  local ttl = tonumber(ARGV[8])
  redis.call('ZADD', KEYS[2], now + ttl, ARGV[7])
  redis.call('PEXPIRE', KEYS[2], ttl)
end
redis.call('HSET', KEYS[1], 'ws', ws, 'wr', wr + 1, 'wt', wt + need)
redis.call('PEXPIRE', KEYS[1], windowMs * 2)
return {1, ws, need}
`;

// The attempt ended: correct the window's tokens by (real - reserved) when it is still the window the
// attempt was admitted in, and free its slot. ARGV: window start, tokens reserved, real tokens, attempt id.
const END = `
if ARGV[3] ~= ARGV[2] and tonumber(redis.call('HGET', KEYS[1], 'ws')) == tonumber(ARGV[1]) then
  local wt = redis.call('HINCRBY', KEYS[1], 'wt', tonumber(ARGV[3]) - tonumber(ARGV[2]))
  if wt < 0 then redis.call('HSET', KEYS[1], 'wt', 0) end
end
redis.call('ZREM', KEYS[2], ARGV[4])
return 1
`;

interface LimitCommands {
  sluiceDeploymentReserve(...args: Array<string | number>): Promise<[number, string | number, number]>;
  sluiceDeploymentEnd(...args: Array<string | number>): Promise<number>;
}

const windowKey = (id: string) => `router:limits:{${id}}`;
const slotsKey = (id: string) => `router:limits:{${id}}:slots`;

export interface RedisDeploymentLimitsOptions {
  redis: Redis;
  logger: Logger;
}

/**
 * Exact across replicas while Redis answers. When it does not, each replica counts on its own (the
 * deployment may then see up to one limit per replica) and says so once, as cooldowns do.
 */
export class RedisDeploymentLimits implements DeploymentLimitStore {
  private readonly commands: LimitCommands;
  private readonly local = new MemoryDeploymentLimits();
  /** Leases the local fallback handed out, so they end there too. */
  private readonly localLeases = new WeakSet<Lease>();
  private warned = false;

  constructor(private readonly options: RedisDeploymentLimitsOptions) {
    options.redis.defineCommand('sluiceDeploymentReserve', { numberOfKeys: 2, lua: RESERVE });
    options.redis.defineCommand('sluiceDeploymentEnd', { numberOfKeys: 2, lua: END });
    this.commands = options.redis as unknown as LimitCommands;
  }

  async reserve(limits: LimitsOfDeployment, deploymentId: string, attemptId: string, tokens: number, nowMs: number): Promise<Reservation> {
    try {
      const [admitted, second, third] = await this.commands.sluiceDeploymentReserve(
        windowKey(deploymentId),
        slotsKey(deploymentId),
        nowMs,
        LIMIT_WINDOW_MS,
        limits.rpm,
        limits.tpm,
        limits.parallel,
        Math.max(0, Math.round(tokens)),
        attemptId,
        limits.slotTtlMs,
      );
      this.warned = false;
      if (admitted === 1) {
        return { admitted: true, lease: { deploymentId, attemptId, windowStartMs: Number(second), tokens: Number(third), parallel: limits.parallel > 0 } };
      }
      return { admitted: false, reason: second as LimitReason, retryAfterMs: Math.max(0, Number(third)) };
    } catch (error) {
      if (!this.warned) this.options.logger.warn({ err: error }, 'redis unavailable: deployment rpm/tpm/max_parallel_requests apply to this router replica only');
      this.warned = true;
      const reservation = this.local.reserveNow(limits, deploymentId, attemptId, tokens, nowMs);
      if (reservation.admitted) this.localLeases.add(reservation.lease);
      return reservation;
    }
  }

  end(lease: Lease, tokens: number): void {
    if (this.localLeases.has(lease)) {
      this.local.end(lease, tokens);
      return;
    }
    // A slot that cannot be freed now is freed by its TTL.
    this.commands
      .sluiceDeploymentEnd(windowKey(lease.deploymentId), slotsKey(lease.deploymentId), lease.windowStartMs, lease.tokens, Math.max(0, Math.round(tokens)), lease.attemptId)
      .catch((error: unknown) => this.options.logger.debug({ err: error }, 'could not settle a deployment lease'));
  }

  /** Waits for the settlements already sent: a slot dropped here would stay taken until its TTL. */
  async close(): Promise<void> {
    await this.options.redis.quit().catch(() => this.options.redis.disconnect());
  }
}
