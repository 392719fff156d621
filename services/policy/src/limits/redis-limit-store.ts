import { limitStateNamespace, type RedisClient, scriptKeys } from '@sluice/common';
import {
  ANNOUNCE_VERSIONS_SCRIPT,
  READ_SCRIPT,
  RESET_PERIODS_SCRIPT,
  SEED_SCRIPT,
} from '../redis/scripts/maintenance-scripts.js';
import { RESERVE_SCRIPT } from '../redis/scripts/reserve-script.js';
import { ABANDON_SCRIPT, RELEASE_SCRIPT, SETTLE_SCRIPT } from '../redis/scripts/settle-script.js';
import {
  type DenyReason,
  type LimitStore,
  type ReserveInput,
  type ReserveResult,
  type ScopeUsage,
  WINDOW_MS,
  type WindowState,
} from './limit-store.js';

// The scripts build their key names from KEYS[1], the namespace (ioredis adds the client's prefix to
// declared KEYS, so KEYS[1] arrives as the full prefix); see scriptKeys for KEYS[2].

interface ScriptCommands {
  sluiceReserve(...args: Array<string | number>): Promise<Array<Array<string | number>>>;
  sluiceSettle(...args: Array<string | number>): Promise<number>;
  sluiceRelease(...args: Array<string | number>): Promise<number>;
  sluiceAbandon(...args: Array<string | number>): Promise<number>;
  sluiceRead(...args: Array<string | number>): Promise<number[]>;
  sluiceSeed(...args: Array<string | number>): Promise<number>;
  sluiceAnnounceVersions(...args: Array<string | number>): Promise<number>;
  sluiceResetPeriods(...args: Array<string | number>): Promise<number>;
}

export interface RedisLimitStoreOptions {
  redis: RedisClient;
  /** The deployment's prefix (SLUICE_REDIS_PREFIX); the client must add it to keys itself (connectRedis). */
  prefix: string;
  holdTtlMs: number;
  /** How long after its release a hold can still be settled (its real cost counted). */
  lateSettleMs?: number;
}

const SETTLE_CHUNK = 200;
/** Decisions per reserve script run: Redis serves nobody else while one runs. */
const RESERVE_BATCH = 64;

function scopesJson(input: ReserveInput): string {
  return JSON.stringify(
    input.scopes.map((scope) => ({
      n: scope.name,
      v: scope.version,
      r: scope.rpm,
      t: scope.tpm,
      c: scope.parallel,
      b: scope.budget,
      p: scope.periodStart,
      s: scope.trackSpend ? 1 : 0,
    })),
  );
}

function parseReserveReply(reply: Array<string | number>): ReserveResult {
  const kind = reply[0];
  const number = (index: number) => Number(reply[index]);
  if (kind === 'ok') {
    const windows: WindowState[] = [];
    for (let index = 1; index < reply.length; index += 3) {
      windows.push({ requests: number(index), tokens: number(index + 1), windowStartMs: number(index + 2) });
    }
    return { kind: 'ok', windows };
  }
  if (kind === 'denied') {
    return {
      kind: 'denied',
      scope: number(1),
      reason: reply[2] as DenyReason,
      retryAfterMs: number(3),
      window: { requests: number(4), tokens: number(5), windowStartMs: number(6) },
      spentNanos: number(7),
      reservedNanos: number(8),
    };
  }
  if (kind === 'stale') return { kind: 'stale', scope: number(1) };
  if (kind === 'unseeded') return { kind: 'unseeded', scopes: reply.slice(1).map(Number) };
  if (kind === 'abandoned') return { kind: 'abandoned' };
  return { kind: 'duplicate' };
}

export function createRedisLimitStore(options: RedisLimitStoreOptions): LimitStore {
  const { holdTtlMs } = options;
  const [namespace, fence] = scriptKeys(limitStateNamespace(options.prefix));
  const recordTtlMs = holdTtlMs + (options.lateSettleMs ?? 3_600_000);
  const redis = options.redis;
  redis.defineCommand('sluiceReserve', { numberOfKeys: 2, lua: RESERVE_SCRIPT });
  redis.defineCommand('sluiceSettle', { numberOfKeys: 2, lua: SETTLE_SCRIPT });
  redis.defineCommand('sluiceRelease', { numberOfKeys: 2, lua: RELEASE_SCRIPT });
  redis.defineCommand('sluiceAbandon', { numberOfKeys: 2, lua: ABANDON_SCRIPT });
  redis.defineCommand('sluiceRead', { numberOfKeys: 2, lua: READ_SCRIPT });
  redis.defineCommand('sluiceSeed', { numberOfKeys: 2, lua: SEED_SCRIPT });
  redis.defineCommand('sluiceAnnounceVersions', { numberOfKeys: 2, lua: ANNOUNCE_VERSIONS_SCRIPT });
  redis.defineCommand('sluiceResetPeriods', { numberOfKeys: 2, lua: RESET_PERIODS_SCRIPT });
  const commands = redis as unknown as ScriptCommands;

  // Decisions that arrive in the same turn of the event loop go to Redis as one script call.
  let queued: Array<{ input: ReserveInput; resolve(result: ReserveResult): void; reject(error: unknown): void }> = [];
  const runQueued = () => {
    const taken = queued;
    queued = [];
    for (let start = 0; start < taken.length; start += RESERVE_BATCH) {
      const chunk = taken.slice(start, start + RESERVE_BATCH);
      const args: Array<string | number> = [namespace, fence, holdTtlMs, recordTtlMs, WINDOW_MS];
      for (const { input } of chunk) args.push(input.requestId, input.nowMs, input.tokens, input.costNanos, scopesJson(input));
      commands.sluiceReserve(...args).then(
        (replies) => chunk.forEach((entry, index) => entry.resolve(parseReserveReply(replies[index] as Array<string | number>))),
        (error: unknown) => chunk.forEach((entry) => entry.reject(error)),
      );
    }
  };
  const reserve = (input: ReserveInput) =>
    new Promise<ReserveResult>((resolve, reject) => {
      if (queued.length === 0) setImmediate(runQueued);
      queued.push({ input, resolve, reject });
    });

  return {
    reserve,

    async seed(entries) {
      if (entries.length === 0) return;
      await commands.sluiceSeed(namespace, fence, ...entries.flatMap((entry) => [entry.name, entry.periodStart, entry.spentNanos]));
    },

    async settle(settlements) {
      // Chunks keep one script run short: Redis serves nobody else while it runs. One pipeline on a
      // single server; on a cluster each chunk goes alone, so each follows a slot migration by itself.
      const chunks: Array<Array<string | number>> = [];
      for (let start = 0; start < settlements.length; start += SETTLE_CHUNK) {
        const chunk = settlements.slice(start, start + SETTLE_CHUNK);
        chunks.push([namespace, fence, ...chunk.flatMap((settlement) => [settlement.requestId, settlement.costNanos, settlement.tokens])]);
      }
      let applied = 0;
      if (redis.isCluster) {
        for (const value of await Promise.all(chunks.map((args) => commands.sluiceSettle(...args)))) applied += Number(value);
        return applied;
      }
      const pipeline = redis.pipeline();
      for (const args of chunks) (pipeline as unknown as ScriptCommands).sluiceSettle(...args);
      const results = (await pipeline.exec()) ?? [];
      for (const [error, value] of results) {
        if (error) throw error;
        applied += Number(value);
      }
      return applied;
    },

    async release(requestId) {
      return (await commands.sluiceRelease(namespace, fence, requestId)) > 0;
    },

    async abandon(requestId) {
      // The marker outlives any decision still on its way: those wait at most a deadline of seconds.
      return (await commands.sluiceAbandon(namespace, fence, requestId, holdTtlMs)) > 0;
    },

    async read(scopes, nowMs): Promise<ScopeUsage[]> {
      if (scopes.length === 0) return [];
      const reply = await commands.sluiceRead(namespace, fence, nowMs, WINDOW_MS, ...scopes.flatMap((scope) => [scope.name, scope.periodStart]));
      return scopes.map((scope, index) => {
        const at = index * 6;
        const spent = Number(reply[at]);
        return {
          name: scope.name,
          spentNanos: spent < 0 ? undefined : spent,
          reservedNanos: Number(reply[at + 1]),
          requests: Number(reply[at + 2]),
          tokens: Number(reply[at + 3]),
          windowResetMs: Number(reply[at + 4]),
          parallel: Number(reply[at + 5]),
        };
      });
    },

    async announceVersions(entries) {
      if (entries.length === 0) return;
      await commands.sluiceAnnounceVersions(namespace, fence, ...entries.flatMap((entry) => [entry.name, entry.version]));
    },

    async resetPeriods(entries) {
      if (entries.length === 0) return;
      await commands.sluiceResetPeriods(namespace, fence, ...entries.flatMap((entry) => [entry.name, entry.periodStart]));
    },

    async close() {
      redis.disconnect();
    },
  };
}
