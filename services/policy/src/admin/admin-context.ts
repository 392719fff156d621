import type { Logger, Sql } from '@sluice/common';
import type { InvalidationBus } from '../invalidation/invalidation-bus.js';
import type { EntityKind } from '../keys/key-record.js';
import type { LimitStore } from '../limits/limit-store.js';

/** Who is calling the admin API. */
export interface Caller {
  isAdmin: boolean;
  isMasterKey: boolean;
  /** The caller's own key hash (not for the master key). */
  token: string | undefined;
  /** Recorded as created_by / updated_by. */
  name: string;
  /** The caller key's allowed_routes (LiteLLM); empty or absent allows every route. */
  allowedRoutes?: string[];
}

/** An entity that changed (or was deleted, with a fresh version), to announce to every replica. */
export interface EntityChange {
  kind: EntityKind;
  id: string;
  version: number;
  /** Keys: every hash the key may be cached under. */
  tokens?: string[];
  /** A new entity: its spend starts at zero from this period start, so no ledger query is needed. */
  createdPeriodStart?: number;
}

export interface AdminContext {
  sql: Sql;
  store: LimitStore;
  invalidations: InvalidationBus;
  keyPepper: string | undefined;
  now: () => number;
  logger: Logger;
}
