import { performance } from 'node:perf_hooks';
import { uuidv7, type Logger } from '@sluice/common';
import { type GroupPricing, holdEstimate, nanosToRoundedMicros } from '@sluice/pricing';
import type { AuthorizeRequest, Decision, Lease, RateLimitState } from '@sluice/proto';

// Admission from leased quota (docs/limits.md, "Leases"). For each key, route and model that requests
// keep arriving for, the edge holds a lease from policy: a number of requests, tokens and nano-USD
// reserved for it in Redis. While the lease covers a request's own estimate (the hold estimate policy
// would make), the request is admitted here, with no policy call and no Redis round trip, and its usage
// event names the lease so policy settles it there. A lease is asked for again in the background before
// it runs out or ends, sized by the demand seen, and what is left of it goes back to policy when it ends,
// is replaced, is recalled (an admin change) or the edge shuts down. Requests the lease does not cover
// go to policy one by one, as without leases; near a limit policy grants no lease at all.
//
// Only requests that name no end user (`user`) and no tags of their own are admitted from leases: their
// scopes are the key's (with its and its team's tags), the same for every such request, while an end
// user's or a request tag's budget and limits belong to that end user or tag alone (forward-to-router.ts).

/** A request's part of a lease key and its estimate inputs. */
export interface LeaseAsk {
  apiKey: string;
  route: string;
  model: string;
  estimatedPromptTokens: number;
  maxTokens: number;
  choices: number;
}

export interface EdgeLeasesOptions {
  /** Sends a lease request (an AuthorizeRequest with lease_only) to policy. */
  ask(request: AuthorizeRequest): Promise<Decision>;
  /** Gives back everything a decision reserved (Release with `abandoned`); never rejects. */
  abandon(requestId: string): void;
  /** Gives back the unused part of a lease; never rejects. */
  giveBack(leaseId: string, unused: { requests: number; tokens: number; costNanos: number }): Promise<void>;
  logger: Logger;
  /** The longest lease policy grants: how long to wait before asking again after a refusal. */
  durationMs: number;
  /** A monotonic clock in ms (performance.now unless a test drives it). */
  now?: () => number;
}

interface HeldLease {
  grant: Lease;
  /** From the grant: identity, model group, allowed models, rate-limit states. */
  template: Decision;
  pricing: GroupPricing | undefined;
  /** What is left to admit from. */
  requests: number;
  tokens: number;
  costNanos: number;
  admitted: number;
  grantedAt: number;
  renewAt: number;
  endsAt: number;
  entry: Entry;
}

interface Entry {
  name: string;
  current: HeldLease | undefined;
  asking: boolean;
  /** No lease request before this (ms on the clock): the last one was refused or got none. */
  quietUntil: number;
  /** Lease requests refused in a row: each waits twice as long as the last, up to MAX_QUIET_LEASES. */
  refusals: number;
  lastUsed: number;
}

/** A first lease covers this many requests; later ones follow the demand. */
const FIRST_LEASE_REQUESTS = 8;
const MAX_LEASE_REQUESTS = 100_000;
/** After a policy from before leases answered, ask no more for this long (a rolling upgrade). */
const OLD_POLICY_QUIET_MS = 60_000;
/** Keys (with route and model) the edge keeps leases for; more are decided one by one. */
const MAX_ENTRIES = 10_000;
/** An entry unused for this long is forgotten. */
const IDLE_MS = 60_000;
/**
 * A key that keeps getting no lease (its max_parallel_requests, an unpriced model, a limit it stays near)
 * is asked for less and less often, up to once per this many lease durations; its requests are decided
 * by policy meanwhile, exactly as before. A grant or a recall starts the count again.
 */
const MAX_QUIET_LEASES = 16;
/** A lease is asked for again when less than this share of its requests is left... */
const RENEW_BELOW = 0.5;
/** ...and the new one covers this many times the demand seen over one lease's duration. */
const DEMAND_FACTOR = 1.5;

/** The unused part of a lease that is given back without knowing what it held: everything. */
const ALL = { requests: 0xffff_ffff, tokens: Number.MAX_SAFE_INTEGER, costNanos: Number.MAX_SAFE_INTEGER };

/** Requests that may share a lease: the same key, route and model. */
function entryName(ask: LeaseAsk): string {
  return `${ask.apiKey}\n${ask.route}\n${ask.model}`;
}

function withRemaining(state: RateLimitState | undefined, left: number): RateLimitState | undefined {
  if (!state || state.limit === 0) return state;
  return { limit: state.limit, remaining: Math.min(state.limit, state.remaining + left), resetSeconds: state.resetSeconds };
}

export class EdgeLeases {
  private readonly entries = new Map<string, Entry>();
  private readonly byId = new Map<string, HeldLease>();
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;
  /** Requests admitted from leases so far (a metric). */
  admissions = 0;

  /** Leases held right now (a metric). */
  get held(): number {
    return this.byId.size;
  }

  private readonly now: () => number;

  constructor(private readonly options: EdgeLeasesOptions) {
    this.now = options.now ?? (() => performance.now());
    this.sweeper = setInterval(() => this.sweep(), Math.max(50, Math.floor(options.durationMs / 4)));
    this.sweeper.unref();
  }

  /** The request's decision from a lease, or undefined: then policy decides it. */
  admit(ask: LeaseAsk, requestId: string): Decision | undefined {
    if (this.closed) return undefined;
    const entry = this.entries.get(entryName(ask));
    if (!entry) return undefined;
    const now = this.now();
    entry.lastUsed = now;
    const lease = entry.current;
    if (lease && now >= lease.endsAt) this.retire(lease);
    if (!entry.current) {
      this.renew(entry, ask, FIRST_LEASE_REQUESTS, now);
      return undefined;
    }
    const held: HeldLease = entry.current;
    const estimate = holdEstimate(held.pricing, ask.estimatedPromptTokens, ask.maxTokens, held.grant.defaultMaxTokens, ask.choices);
    if (held.requests < 1 || held.tokens < estimate.tokens || held.costNanos < estimate.costNanos) {
      this.renew(entry, ask, this.demand(held, now), now);
      return undefined;
    }
    held.requests -= 1;
    held.tokens -= estimate.tokens;
    held.costNanos -= estimate.costNanos;
    held.admitted += 1;
    this.admissions += 1;
    if (now >= held.renewAt || held.requests < held.grant.requests * RENEW_BELOW) this.renew(entry, ask, this.demand(held, now), now);
    const template = held.template;
    return {
      ...template,
      requestId,
      requests: withRemaining(template.requests, held.requests),
      tokens: withRemaining(template.tokens, held.tokens),
      reservedTokens: estimate.tokens,
      reservedCostNanos: estimate.costNanos,
      reservedCostMicros: nanosToRoundedMicros(estimate.costNanos),
      holdsParallelSlot: false,
      lease: held.grant,
    };
  }

  /**
   * Policy admitted a request that no lease covered: ask for a lease for its key, route and model. Only
   * keys policy admits get an entry, so requests with made-up keys cost policy nothing more.
   */
  admitted(ask: LeaseAsk): void {
    if (this.closed) return;
    const name = entryName(ask);
    const now = this.now();
    let entry = this.entries.get(name);
    if (!entry) {
      if (this.entries.size >= MAX_ENTRIES) return;
      entry = { name, current: undefined, asking: false, quietUntil: 0, refusals: 0, lastUsed: now };
      this.entries.set(name, entry);
    }
    entry.lastUsed = now;
    if (!entry.current) this.renew(entry, ask, FIRST_LEASE_REQUESTS, now);
  }

  /** Policy recalled these leases (an admin change): nothing more is admitted from them. */
  recall(leaseIds: readonly string[]): void {
    for (const id of leaseIds) {
      const lease = this.byId.get(id);
      if (!lease) continue;
      this.retire(lease);
      // The next request asks policy, which sees the change.
      lease.entry.quietUntil = 0;
      lease.entry.refusals = 0;
    }
  }

  /** Shutting down: every lease goes back; resolves when policy has them (or could not be told). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    await Promise.all([...this.byId.values()].map((lease) => this.retire(lease)));
    this.entries.clear();
  }

  /** Requests wanted for the next lease: the demand seen during this one, over a whole lease. */
  private demand(lease: HeldLease, now: number): number {
    const elapsed = Math.max(now - lease.grantedAt, 10);
    const rate = lease.admitted / elapsed;
    return Math.min(MAX_LEASE_REQUESTS, Math.max(FIRST_LEASE_REQUESTS, Math.ceil(rate * lease.grant.durationMs * DEMAND_FACTOR)));
  }

  private renew(entry: Entry, ask: LeaseAsk, requests: number, now: number): void {
    if (entry.asking || this.closed || now < entry.quietUntil) return;
    entry.asking = true;
    const sentAt = now;
    const leaseId = uuidv7();
    this.options
      .ask({
        requestId: leaseId,
        apiKey: ask.apiKey,
        route: ask.route,
        adminRoute: false,
        model: ask.model,
        estimatedPromptTokens: ask.estimatedPromptTokens,
        maxTokens: ask.maxTokens,
        endUser: '',
        tags: [],
        cacheControls: [],
        checkOnly: false,
        traceparent: '',
        choices: ask.choices,
        leaseOnly: true,
        leaseRequests: requests,
      })
      .then(
        (decision) => this.granted(entry, decision, sentAt, leaseId),
        (error: unknown) => {
          this.options.logger.debug({ err: error }, 'no lease; requests are decided by policy');
          entry.asking = false;
          this.quieten(entry);
          // Granted perhaps, but never seen here: given back whole (policy keeps no more than it granted).
          void this.options.giveBack(leaseId, ALL);
        },
      );
  }

  private granted(entry: Entry, decision: Decision, sentAt: number, leaseId: string): void {
    entry.asking = false;
    const grant = decision.lease;
    if (decision.allowed && !grant && (decision.reservedTokens > 0 || decision.reservedCostNanos > 0 || decision.holdsParallelSlot)) {
      // A policy from before leases took the lease request for a request and reserved for it.
      this.options.abandon(leaseId);
      entry.quietUntil = this.now() + OLD_POLICY_QUIET_MS;
      return;
    }
    if (!decision.allowed || !grant) {
      // Refused (the key is blocked, say) or near a limit: policy decides, and is asked again later.
      if (!decision.allowed && entry.current) this.retire(entry.current);
      this.quieten(entry);
      return;
    }
    if (this.closed || this.entries.get(entry.name) !== entry) {
      void this.options.giveBack(grant.id, { requests: grant.requests, tokens: grant.tokens, costNanos: grant.costNanos });
      return;
    }
    let pricing: GroupPricing | undefined;
    try {
      pricing = (JSON.parse(grant.pricingJson) as GroupPricing | null) ?? undefined;
    } catch {
      void this.options.giveBack(grant.id, { requests: grant.requests, tokens: grant.tokens, costNanos: grant.costNanos });
      return;
    }
    if (entry.current) this.retire(entry.current);
    entry.refusals = 0;
    // Timed from when it was asked for: policy's clock started it no earlier than that.
    const lease: HeldLease = {
      grant,
      template: { ...decision, lease: undefined, recalledLeaseIds: [] },
      pricing,
      requests: grant.requests,
      tokens: grant.tokens,
      costNanos: grant.costNanos,
      admitted: 0,
      grantedAt: this.now(),
      renewAt: sentAt + grant.durationMs / 2,
      endsAt: sentAt + grant.durationMs,
      entry,
    };
    entry.current = lease;
    this.byId.set(grant.id, lease);
  }

  /** No lease this time: wait one lease duration before asking again, twice that after two refusals, … */
  private quieten(entry: Entry): void {
    const factor = Math.min(MAX_QUIET_LEASES, 2 ** entry.refusals);
    entry.refusals += 1;
    entry.quietUntil = this.now() + this.options.durationMs * factor;
  }

  private retire(lease: HeldLease): Promise<void> {
    if (lease.entry.current === lease) lease.entry.current = undefined;
    if (!this.byId.delete(lease.grant.id)) return Promise.resolve();
    const unused = { requests: lease.requests, tokens: lease.tokens, costNanos: lease.costNanos };
    lease.requests = 0;
    lease.tokens = 0;
    lease.costNanos = 0;
    return this.options.giveBack(lease.grant.id, unused);
  }

  private sweep(): void {
    const now = this.now();
    for (const [name, entry] of this.entries) {
      if (entry.current && now >= entry.current.endsAt) this.retire(entry.current);
      if (!entry.current && !entry.asking && now - entry.lastUsed > IDLE_MS) this.entries.delete(name);
    }
  }
}
