// Where policy keeps what it counts: spend, reservations, request and token windows and parallel
// slots, per scope (a key, user, team or organisation, or one of them for one model). Redis in
// production, an in-process map in embedded mode; both implement exactly the semantics below, and one
// test suite runs against both with an injected clock.
//
// Per scope:
//   spent      nano-USD settled in the current budget period (absent until seeded from the ledger)
//   period     start of the budget period `spent` belongs to; a reservation carrying a later start
//              zeroes `spent` first (the budget reset)
//   reserved   nano-USD held by admitted requests that have not reported usage yet
//   window     start of the current 60-second window, with the requests and tokens counted in it; the
//              window starts with the first request counted after the previous one ended
//   parallel   slots held by requests still running
//   version    the highest entity version an admin change announced; a decision made from an older
//              cached copy is answered `stale` so the caller reloads
//
// A reservation ("hold") is all or nothing across its scopes and lives until the request's usage
// event settles it, or until `holdTtlMs` passes, when its money and slot are released unused.
//
// Leases (Redis store only; docs/limits.md, "Leases"): quota for one edge to admit requests of one key
// and model from on its own, reserved all or nothing across the same scopes with the same counters, so
// the sum of outstanding leases and holds never exceeds what a scope has left. A lease of n requests of
// t tokens and c nano-USD each adds n to every scope's window, n*t to its tokens and n*c to `reserved`.
// It is only granted when it is small next to every limit (at most 1/LEASE_SHARE of the limit and half
// of what is left, at least LEASE_MIN_REQUESTS requests), never for scopes with parallel limits, and it
// ends before the rate window it was counted in does. A request admitted from it settles against the
// lease (real cost into `spent`, its estimate out of the lease's money); the edge gives the unused rest
// back; a lease its edge never gives back frees its money at its end plus a margin.

export interface ScopeLimits {
  /** Redis-safe scope name, e.g. `k:<key id>`, `t:<team id>`, `km:<key id>:<model>`. */
  name: string;
  /** Version of the cached entity this decision was made from; -1 skips the check. */
  version: number;
  /** 0 = no limit. */
  rpm: number;
  tpm: number;
  parallel: number;
  /** Nano-USD; -1 = no budget. */
  budget: number;
  /** Start of the budget period the caller knows of (epoch ms). */
  periodStart: number;
  /** Count spend in this scope; such a scope must have been seeded from the ledger first. */
  trackSpend: boolean;
}

export interface ReserveInput {
  requestId: string;
  nowMs: number;
  /** Estimated tokens (prompt + output) charged to each scope's token window; clamped to its tpm. */
  tokens: number;
  /** Estimated worst-case cost, nano-USD, held against every scope's budget. */
  costNanos: number;
  scopes: ScopeLimits[];
}

/** What each scope's window looks like after the decision. */
export interface WindowState {
  requests: number;
  tokens: number;
  windowStartMs: number;
}

export type DenyReason = 'budget' | 'rpm' | 'tpm' | 'parallel';

export type ReserveResult =
  | { kind: 'ok'; windows: WindowState[] }
  /** The same request id was reserved already (a repeated call): nothing more was reserved. */
  | { kind: 'duplicate' }
  /** The edge gave the request up before its decision was made: nothing was reserved. */
  | { kind: 'abandoned' }
  | { kind: 'denied'; scope: number; reason: DenyReason; retryAfterMs: number; window: WindowState; spentNanos: number; reservedNanos: number }
  | { kind: 'stale'; scope: number }
  | { kind: 'unseeded'; scopes: number[] };

export interface Settlement {
  requestId: string;
  costNanos: number;
  tokens: number;
  /** A request admitted from a lease: the lease, and the estimate the edge took from it. */
  lease?: { id: string; tokens: number; costNanos: number } | undefined;
}

export interface LeaseInput {
  leaseId: string;
  nowMs: number;
  /** Requests the edge asked for; the lease may cover fewer. */
  requests: number;
  /** One typical request's estimate: tokens and worst-case nano-USD. */
  tokens: number;
  costNanos: number;
  scopes: ScopeLimits[];
}

export type LeaseResult =
  | { kind: 'ok'; requests: number; tokens: number; costNanos: number; durationMs: number; windows: WindowState[] }
  /** Near a limit, a parallel limit, an unseeded scope: requests are decided one by one. */
  | { kind: 'none' }
  | { kind: 'stale'; scope: number };

export interface LeaseReturn {
  leaseId: string;
  nowMs: number;
  requests: number;
  tokens: number;
  costNanos: number;
}

export interface SeedEntry {
  name: string;
  periodStart: number;
  spentNanos: number;
}

export interface ScopeUsage {
  name: string;
  /** Spent in `periodStart`'s period; undefined when the scope was never seeded. */
  spentNanos: number | undefined;
  reservedNanos: number;
  /** Requests and tokens in the window still running at `nowMs` (0 when it has ended). */
  requests: number;
  tokens: number;
  windowResetMs: number;
  parallel: number;
}

export interface LimitStore {
  reserve(input: ReserveInput): Promise<ReserveResult>;
  /** Sets `spent` for scopes that have none yet (a scope already seeded is left alone). */
  seed(entries: SeedEntry[]): Promise<void>;
  /** Settles each request's hold to its real cost and tokens; returns how many holds existed. */
  settle(settlements: Settlement[]): Promise<number>;
  /** Frees a request's parallel slots early; true when it held any. */
  release(requestId: string): Promise<boolean>;
  /**
   * The request never ran (its decision did not reach the edge): gives back all it reserved, request and
   * token estimate included, and makes a reservation for it that is still to come reserve nothing.
   * True when it held anything.
   */
  abandon(requestId: string): Promise<boolean>;
  /** Grants a lease (stores that do not implement leases never lease). */
  lease?(input: LeaseInput): Promise<LeaseResult>;
  /** Gives back a lease's unused part; true when it was still open. */
  returnLease?(input: LeaseReturn): Promise<boolean>;
  /** Leases still open on these entity scopes (an admin change waits for them to be given back). */
  openLeases?(names: string[], nowMs: number): Promise<number>;
  /** Current usage, for /key/info and /team/info. */
  read(scopes: Array<{ name: string; periodStart: number }>, nowMs: number): Promise<ScopeUsage[]>;
  /** Raises the stored version of entity scopes (never lowers it). */
  announceVersions(entries: Array<{ name: string; version: number }>): Promise<void>;
  /** Starts a new budget period for scopes still in an older one. */
  resetPeriods(entries: Array<{ name: string; periodStart: number }>): Promise<void>;
  close(): Promise<void>;
}

export const WINDOW_MS = 60_000;
/** A lease never takes more than this fraction of a scope's limit (1/64). */
export const LEASE_SHARE = 64;
/** Fewer requests than this are not worth a lease. */
export const LEASE_MIN_REQUESTS = 4;
