import { type Entity, entitiesOf, type EntityKind, entityScopeName, type KeyRecord, modelScopeName } from '../keys/key-record.js';
import type { ScopeLimits } from './limit-store.js';

// The scopes one request counts against: each entity it belongs to (key, user, team, organisation),
// and, where that entity has a per-model budget or limit for the model asked for, the entity for that
// model. Every scope must admit the request, so the most restrictive limit wins.

/** Where a scope's spend comes from in the ledger (spend_logs), to rebuild it when Redis has none. */
export interface SpendSource {
  /** `tags` is an array column: a request counts for a tag when the tag is one of them. */
  column: 'key_hash' | 'user_id' | 'team_id' | 'organization_id' | 'end_user' | 'tags';
  values: string[];
  modelGroup: string | undefined;
  sinceMs: number;
  /** Spend from before Sluice (an import) that still counts in this period. */
  carriedMicros: number;
}

export interface RequestScope extends ScopeLimits {
  spend: SpendSource;
}

export const LEDGER_COLUMN = {
  key: 'key_hash',
  user: 'user_id',
  team: 'team_id',
  organization: 'organization_id',
  end_user: 'end_user',
  tag: 'tags',
} as const satisfies Record<EntityKind, SpendSource['column']>;

function ledgerValues(record: KeyRecord, entity: Entity): string[] {
  return entity.kind === 'key' ? [record.key.token, ...record.key.retiredTokens] : [entity.id];
}

/** The first of the names that a per-model map has an entry for. */
function modelEntry<T>(map: Record<string, T>, names: readonly string[]): [string, T] | undefined {
  for (const name of names) {
    if (Object.hasOwn(map, name)) return [name, map[name]!];
  }
  return undefined;
}

export function entityScope(record: KeyRecord, entity: Entity): RequestScope {
  const limits = entity.limits;
  return {
    name: entityScopeName(entity.kind, entity.id),
    version: entity.version,
    rpm: limits.rpm_limit ?? 0,
    tpm: limits.tpm_limit ?? 0,
    parallel: limits.max_parallel_requests ?? 0,
    // Budgets are stored in micro-USD; counters count nano-USD.
    budget: limits.max_budget_micros === null || limits.max_budget_micros === undefined ? -1 : limits.max_budget_micros * 1000,
    periodStart: limits.budget_period_start,
    trackSpend: true,
    spend: { column: LEDGER_COLUMN[entity.kind], values: ledgerValues(record, entity), modelGroup: undefined, sinceMs: limits.budget_period_start, carriedMicros: entity.carriedMicros ?? 0 },
  };
}

/**
 * `modelNames` are the names the request may be known by for per-model settings: the model group it
 * routes to first, then the name the client sent (before aliases).
 */
export function requestScopes(record: KeyRecord, modelNames: readonly string[], extra: readonly Entity[] = []): RequestScope[] {
  const scopes: RequestScope[] = [];
  const modelGroup = modelNames[0] ?? '';
  // The request's end user and tags (see request-entities.ts) count beside the key's own entities.
  const entities = extra.length === 0 ? entitiesOf(record) : [...entitiesOf(record), ...extra];
  for (const entity of entities) {
    scopes.push(entityScope(record, entity));
    if (modelGroup === '') continue;
    const limits = entity.limits;
    const budget = modelEntry(limits.model_max_budget, modelNames);
    const rpm = modelEntry(limits.model_rpm_limit, modelNames);
    const tpm = modelEntry(limits.model_tpm_limit, modelNames);
    if (!budget && !rpm && !tpm) continue;
    const periodStart = budget && Object.hasOwn(limits.model_budget_periods, budget[0]) ? (limits.model_budget_periods[budget[0]]?.start ?? 0) : 0;
    scopes.push({
      name: modelScopeName(entity.kind, entity.id, modelGroup),
      version: -1,
      rpm: rpm?.[1] ?? 0,
      tpm: tpm?.[1] ?? 0,
      parallel: 0,
      budget: budget ? Math.round(budget[1].budget_limit * 1_000_000) * 1000 : -1,
      periodStart,
      trackSpend: budget !== undefined,
      spend: { column: LEDGER_COLUMN[entity.kind], values: ledgerValues(record, entity), modelGroup, sinceMs: periodStart, carriedMicros: 0 },
    });
  }
  return scopes;
}
