import {
  type LimitStore,
  type ReserveInput,
  type ReserveResult,
  type ScopeUsage,
  WINDOW_MS,
  type WindowState,
} from './limit-store.js';

// The embedded-mode stand-in for the Redis scripts: the same state and the same rules, in one process
// (where one process is the whole deployment, so nothing needs sharing). Operations run synchronously
// between awaits, which makes each one atomic as a Lua script is.

interface ScopeState {
  version?: number;
  period?: number;
  spent: number;
  reserved: number;
  windowStart?: number;
  requests: number;
  tokens: number;
  /** request id → [expiry, cost] */
  costHolds: Map<string, [number, number]>;
  /** request id → expiry */
  parallelHolds: Map<string, number>;
}

interface HoldEntry {
  name: string;
  tokens: number;
  windowStart: number;
  period: number;
  cost: boolean;
  parallel: boolean;
}

interface Hold {
  cost: number;
  entries: HoldEntry[];
  expiresAt: number;
}

export interface MemoryLimitStoreOptions {
  holdTtlMs: number;
  lateSettleMs?: number;
  /** For hold-record expiry only; decisions use the time they are given. */
  now?: () => number;
}

export function createMemoryLimitStore(options: MemoryLimitStoreOptions): LimitStore {
  const { holdTtlMs } = options;
  const recordTtlMs = holdTtlMs + (options.lateSettleMs ?? 3_600_000);
  const clock = options.now ?? Date.now;
  const scopes = new Map<string, ScopeState>();
  const holds = new Map<string, Hold>();
  /** Abandoned request ids → when the marker expires (see LimitStore.abandon). */
  const abandoned = new Map<string, number>();

  const scopeOf = (name: string): ScopeState => {
    let state = scopes.get(name);
    if (!state) {
      state = { spent: 0, reserved: 0, requests: 0, tokens: 0, costHolds: new Map(), parallelHolds: new Map() };
      scopes.set(name, state);
    }
    return state;
  };

  const prune = (state: ScopeState, nowMs: number) => {
    for (const [requestId, [expiry, cost]] of state.costHolds) {
      if (expiry > nowMs) continue;
      state.costHolds.delete(requestId);
      state.reserved = Math.max(0, state.reserved - cost);
    }
    for (const [requestId, expiry] of state.parallelHolds) {
      if (expiry <= nowMs) state.parallelHolds.delete(requestId);
    }
  };

  const liveHold = (requestId: string): Hold | undefined => {
    const hold = holds.get(requestId);
    if (hold && hold.expiresAt <= clock()) {
      holds.delete(requestId);
      return undefined;
    }
    return hold;
  };

  return {
    async reserve(input: ReserveInput): Promise<ReserveResult> {
      const { nowMs } = input;
      if (liveHold(input.requestId)) return { kind: 'duplicate' };
      const marker = abandoned.get(input.requestId);
      if (marker !== undefined) {
        if (marker > clock()) return { kind: 'abandoned' };
        abandoned.delete(input.requestId);
      }
      const unseeded: number[] = [];
      for (const [index, scope] of input.scopes.entries()) {
        const state = scopes.get(scope.name);
        if (scope.version >= 0 && state?.version !== undefined && state.version > scope.version) return { kind: 'stale', scope: index };
        if (scope.trackSpend && state?.period === undefined) unseeded.push(index);
      }
      if (unseeded.length > 0) return { kind: 'unseeded', scopes: unseeded };

      const plans = input.scopes.map((scope, index) => {
        const state = scopeOf(scope.name);
        prune(state, nowMs);
        const newPeriod = state.period !== undefined && scope.periodStart > state.period;
        const spent = newPeriod ? 0 : state.spent;
        const rolled = state.windowStart === undefined || nowMs - state.windowStart >= WINDOW_MS;
        const windowStart = rolled ? nowMs : state.windowStart!;
        const requests = rolled ? 0 : state.requests;
        const tokens = rolled ? 0 : state.tokens;
        const need = scope.tpm > 0 ? Math.min(input.tokens, scope.tpm) : input.tokens;
        const inflight = scope.parallel > 0 ? state.parallelHolds.size : 0;
        return { scope, index, state, newPeriod, spent, rolled, windowStart, requests, tokens, need, inflight };
      });

      for (const plan of plans) {
        const { scope } = plan;
        const held = plan.spent + plan.state.reserved;
        const window: WindowState = { requests: plan.requests, tokens: plan.tokens, windowStartMs: plan.windowStart };
        const untilReset = plan.windowStart + WINDOW_MS - nowMs;
        const deny = (reason: 'budget' | 'rpm' | 'tpm' | 'parallel', retryAfterMs: number): ReserveResult => ({
          kind: 'denied',
          scope: plan.index,
          reason,
          retryAfterMs,
          window,
          spentNanos: plan.spent,
          reservedNanos: plan.state.reserved,
        });
        if (scope.budget >= 0 && (held >= scope.budget || held + input.costNanos > scope.budget)) return deny('budget', 0);
        if (scope.rpm > 0 && plan.requests + 1 > scope.rpm) return deny('rpm', untilReset);
        if (scope.tpm > 0 && plan.tokens + plan.need > scope.tpm) return deny('tpm', untilReset);
        if (scope.parallel > 0 && plan.inflight + 1 > scope.parallel) return deny('parallel', 1000);
      }

      const entries: HoldEntry[] = [];
      const windows: WindowState[] = [];
      for (const plan of plans) {
        const { state, scope } = plan;
        if (plan.newPeriod) {
          state.spent = 0;
          state.period = scope.periodStart;
        }
        state.windowStart = plan.windowStart;
        state.requests = plan.requests + 1;
        state.tokens = plan.tokens + plan.need;
        const entry: HoldEntry = {
          name: scope.name,
          tokens: plan.need,
          windowStart: plan.windowStart,
          period: state.period ?? -1,
          cost: false,
          parallel: false,
        };
        if (input.costNanos > 0) {
          state.reserved += input.costNanos;
          state.costHolds.set(input.requestId, [nowMs + holdTtlMs, input.costNanos]);
          entry.cost = true;
        }
        if (scope.parallel > 0) {
          state.parallelHolds.set(input.requestId, nowMs + holdTtlMs);
          entry.parallel = true;
        }
        entries.push(entry);
        windows.push({ requests: state.requests, tokens: state.tokens, windowStartMs: plan.windowStart });
      }
      holds.set(input.requestId, { cost: input.costNanos, entries, expiresAt: clock() + recordTtlMs });
      return { kind: 'ok', windows };
    },

    async seed(entries) {
      for (const entry of entries) {
        const state = scopeOf(entry.name);
        if (state.period !== undefined) continue;
        state.period = entry.periodStart;
        state.spent = entry.spentNanos;
      }
    },

    async settle(settlements) {
      let applied = 0;
      for (const settlement of settlements) {
        const hold = liveHold(settlement.requestId);
        if (!hold) continue;
        holds.delete(settlement.requestId);
        for (const entry of hold.entries) {
          const state = scopeOf(entry.name);
          if (entry.cost && state.costHolds.delete(settlement.requestId)) state.reserved -= hold.cost;
          if (entry.parallel) state.parallelHolds.delete(settlement.requestId);
          if (entry.period >= 0 && settlement.costNanos > 0 && state.period === entry.period) state.spent += settlement.costNanos;
          if (settlement.tokens !== entry.tokens && state.windowStart === entry.windowStart) state.tokens += settlement.tokens - entry.tokens;
        }
        applied += 1;
      }
      return applied;
    },

    async release(requestId) {
      const hold = liveHold(requestId);
      if (!hold) return false;
      let released = false;
      for (const entry of hold.entries) {
        if (entry.parallel && scopes.get(entry.name)?.parallelHolds.delete(requestId)) released = true;
      }
      return released;
    },

    async abandon(requestId) {
      const now = clock();
      for (const [id, expiry] of abandoned) if (expiry <= now) abandoned.delete(id);
      abandoned.set(requestId, now + holdTtlMs);
      const hold = liveHold(requestId);
      if (!hold) return false;
      holds.delete(requestId);
      for (const entry of hold.entries) {
        const state = scopeOf(entry.name);
        if (entry.cost && state.costHolds.delete(requestId)) state.reserved -= hold.cost;
        if (entry.parallel) state.parallelHolds.delete(requestId);
        if (state.windowStart === entry.windowStart) {
          state.requests -= 1;
          state.tokens -= entry.tokens;
        }
      }
      return true;
    },

    async read(names, nowMs): Promise<ScopeUsage[]> {
      return names.map(({ name, periodStart }) => {
        const state = scopeOf(name);
        prune(state, nowMs);
        const running = state.windowStart !== undefined && nowMs - state.windowStart < WINDOW_MS;
        return {
          name,
          spentNanos: state.period === undefined ? undefined : periodStart > state.period ? 0 : state.spent,
          reservedNanos: state.reserved,
          requests: running ? state.requests : 0,
          tokens: running ? state.tokens : 0,
          windowResetMs: running ? state.windowStart! + WINDOW_MS : 0,
          parallel: state.parallelHolds.size,
        };
      });
    },

    async announceVersions(entries) {
      for (const entry of entries) {
        const state = scopeOf(entry.name);
        if (state.version === undefined || state.version < entry.version) state.version = entry.version;
      }
    },

    async resetPeriods(entries) {
      for (const entry of entries) {
        const state = scopes.get(entry.name);
        if (state?.period !== undefined && state.period < entry.periodStart) {
          state.spent = 0;
          state.period = entry.periodStart;
        }
      }
    },

    async close() {
      scopes.clear();
      holds.clear();
    },
  };
}
