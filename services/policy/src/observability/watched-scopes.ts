import type { Identity } from '@sluice/proto';
import type { LimitStore } from '../limits/limit-store.js';
import type { RequestScope } from '../limits/request-scopes.js';

// The budget and limit gauges cover the scopes this replica decided for recently: a bounded set,
// refreshed with one store read per scrape, never a scan of every key in the database.

const MAX_WATCHED = 1_000;
/** A scope no request touched for this long drops out of the gauges. */
const FORGET_AFTER_MS = 15 * 60_000;

interface Watched {
  name: string;
  scopeType: string;
  /** A label for people: the key alias (or masked key), team alias, user or organisation id. */
  scope: string;
  modelGroup: string;
  budgetNanos: number;
  rpm: number;
  tpm: number;
  parallel: number;
  periodStart: number;
  seenAt: number;
}

const SCOPE_TYPES: Record<string, string> = { k: 'key', u: 'user', t: 'team', o: 'organization' };

export interface ScopeSnapshot {
  scopeType: string;
  scope: string;
  modelGroup: string;
  budgetNanos: number;
  spentNanos: number;
  reservedNanos: number;
  rpm: number;
  tpm: number;
  parallel: number;
  requests: number;
  tokens: number;
  parallelInUse: number;
}

function scopeLabel(letter: string, identity: Identity): string {
  switch (letter) {
    case 'k':
      return identity.keyAlias || identity.keyName;
    case 't':
      return identity.teamAlias || identity.teamId;
    case 'u':
      return identity.userId;
    default:
      return identity.organizationId;
  }
}

export class WatchedScopes {
  private readonly scopes = new Map<string, Watched>();
  /** Several gauge families read the same snapshot within one scrape (dropped when the next starts). */
  private snapshot: Promise<ScopeSnapshot[]> | undefined;

  constructor(
    private readonly store: LimitStore,
    private readonly now: () => number,
  ) {}

  /** Called with every decision's scopes; only those with a budget or a limit are kept. */
  observe(scopes: readonly RequestScope[], identity: Identity): void {
    const nowMs = this.now();
    for (const scope of scopes) {
      if (scope.budget < 0 && scope.rpm === 0 && scope.tpm === 0 && scope.parallel === 0) continue;
      let watched = this.scopes.get(scope.name);
      if (!watched) {
        if (this.scopes.size >= MAX_WATCHED && !this.forgetStale(nowMs)) continue;
        const letter = scope.name.charAt(0);
        watched = {
          name: scope.name,
          scopeType: SCOPE_TYPES[letter] ?? 'scope',
          scope: scopeLabel(letter, identity),
          modelGroup: scope.spend.modelGroup ?? '',
          budgetNanos: 0,
          rpm: 0,
          tpm: 0,
          parallel: 0,
          periodStart: 0,
          seenAt: 0,
        };
        this.scopes.set(scope.name, watched);
      }
      watched.budgetNanos = scope.budget;
      watched.rpm = scope.rpm;
      watched.tpm = scope.tpm;
      watched.parallel = scope.parallel;
      watched.periodStart = scope.periodStart;
      watched.seenAt = nowMs;
    }
  }

  private forgetStale(nowMs: number): boolean {
    const before = this.scopes.size;
    for (const [name, watched] of this.scopes) if (nowMs - watched.seenAt > FORGET_AFTER_MS) this.scopes.delete(name);
    return this.scopes.size < before;
  }

  /** A new scrape starts: the next read goes to the store. */
  invalidate(): void {
    this.snapshot = undefined;
  }

  /** Every watched scope with its current usage (one store read per scrape). */
  read(): Promise<ScopeSnapshot[]> {
    const nowMs = this.now();
    if (this.snapshot) return this.snapshot;
    this.forgetStale(nowMs);
    const watched = [...this.scopes.values()];
    const scopes =
      watched.length === 0
        ? Promise.resolve([])
        : this.store.read(watched.map((entry) => ({ name: entry.name, periodStart: entry.periodStart })), nowMs).then((usage) =>
            watched.map((entry, index) => {
              const current = usage[index];
              return {
                scopeType: entry.scopeType,
                scope: entry.scope,
                modelGroup: entry.modelGroup,
                budgetNanos: entry.budgetNanos,
                spentNanos: current?.spentNanos ?? 0,
                reservedNanos: current?.reservedNanos ?? 0,
                rpm: entry.rpm,
                tpm: entry.tpm,
                parallel: entry.parallel,
                requests: current?.requests ?? 0,
                tokens: current?.tokens ?? 0,
                parallelInUse: current?.parallel ?? 0,
              };
            }),
          );
    this.snapshot = scopes;
    return scopes;
  }
}
