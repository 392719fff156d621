import type { SqlClient } from '@sluice/common';
import { carriedSpendFromRow, type LimitState, limitStateFromRow, withBudget } from '../entities/limit-state.js';

// Everything one decision needs about a key, resolved in one query and cached in the process: the key
// and the user, team and organisation it belongs to, each with its limits and version.

export type EntityKind = 'key' | 'user' | 'team' | 'organization' | 'end_user' | 'tag';

export interface Entity {
  kind: EntityKind;
  id: string;
  version: number;
  limits: LimitState;
  /** Spend carried in by an import that still counts in the current period (none when absent). */
  carriedMicros?: number;
}

export interface KeyRecord {
  key: Entity & {
    token: string;
    retiredTokens: string[];
    /** How `token` was computed: with Sluice's hashKey, or plain SHA-256 (a key imported from LiteLLM); absent means 'sluice'. */
    hashKind?: 'sluice' | 'sha256';
    keyName: string;
    keyAlias: string | null;
    expiresMs: number | null;
    aliases: Record<string, string>;
    /** Per-request cache controls the key may send; empty allows all (LiteLLM's rule). */
    allowedCacheControls: string[];
    /** LiteLLM's allowed_routes; empty (or absent) allows every route. */
    allowedRoutes?: string[];
    /** Request fields the key must send on every call (LiteLLM's enforced_params). */
    enforcedParams?: string[];
    /** LiteLLM's permissions.get_spend_routes: this key may read the spend routes without being an admin. */
    spendRoutes?: boolean;
  };
  user: (Entity & { role: string }) | undefined;
  /** modelAliases: the team's model_aliases, applied after the key's own aliases. */
  team: (Entity & { alias: string | null; modelAliases?: Record<string, string> }) | undefined;
  organization: Entity | undefined;
}

/** Scope names in Redis: one letter per entity kind, `<letter>m` for its per-model scopes. */
export const SCOPE_LETTER: Readonly<Record<EntityKind, string>> = { key: 'k', user: 'u', team: 't', organization: 'o', end_user: 'e', tag: 'g' };

export function entityScopeName(kind: EntityKind, id: string): string {
  return `${SCOPE_LETTER[kind]}:${id}`;
}

export function modelScopeName(kind: EntityKind, id: string, model: string): string {
  return `${SCOPE_LETTER[kind]}m:${id}:${model}`;
}

// The organisation a key counts against: its own, else its team's, else its user's. Keys and
// organisations may link a budget (budget_id), whose limits fill the ones they do not set.
const LOAD_KEY_SQL = `
SELECT row_to_json(k) AS key, row_to_json(t) AS team, row_to_json(u) AS user_row, row_to_json(o) AS organization,
       row_to_json(kb) AS key_budget, row_to_json(ob) AS organization_budget
FROM api_keys k
LEFT JOIN teams t ON t.team_id = k.team_id
LEFT JOIN users u ON u.user_id = k.user_id
LEFT JOIN organizations o ON o.organization_id = COALESCE(k.organization_id, t.organization_id, u.organization_id)
LEFT JOIN budgets kb ON kb.budget_id = k.budget_id
LEFT JOIN budgets ob ON ob.budget_id = o.budget_id
WHERE k.token = $1`;

type Row = Record<string, unknown>;

function json(value: unknown): Row | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? (JSON.parse(value) as Row) : (value as Row);
}

function entity(kind: EntityKind, id: string, row: Row, budget: Row | null = null): Entity {
  const limits = withBudget(limitStateFromRow(row), budget ? limitStateFromRow(budget) : null);
  // Carried spend counts while the period it was carried into runs, whichever row runs that period.
  const carried = carriedSpendFromRow({ ...row, budget_period_start: new Date(limits.budget_period_start).toISOString() });
  return { kind, id, version: Number(row.version), limits, carriedMicros: carried };
}

/** An end user (a customer) or a tag: counted on its own, beside the key's entities. */
export async function loadStandaloneEntity(sql: SqlClient, kind: 'end_user' | 'tag', id: string): Promise<Entity | null> {
  const table = kind === 'end_user' ? 'end_users' : 'tags';
  const idColumn = kind === 'end_user' ? 'user_id' : 'tag_name';
  const result = await sql.query<{ row: unknown; budget: unknown }>(
    `SELECT row_to_json(e) AS row, row_to_json(b) AS budget FROM ${table} e LEFT JOIN budgets b ON b.budget_id = e.budget_id WHERE e.${idColumn} = $1`,
    [id],
  );
  const found = result.rows[0];
  return found ? entity(kind, id, json(found.row)!, json(found.budget)) : null;
}

/** The key whose hash is `token`, with its owners; null when no such key exists. */
export async function loadKeyRecord(sql: SqlClient, token: string): Promise<KeyRecord | null> {
  const result = await sql.query<{ key: unknown; team: unknown; user_row: unknown; organization: unknown; key_budget: unknown; organization_budget: unknown }>(
    LOAD_KEY_SQL,
    [token],
  );
  const row = result.rows[0];
  if (!row) return null;
  const key = json(row.key)!;
  const team = json(row.team);
  const user = json(row.user_row);
  const organization = json(row.organization);
  return {
    key: {
      ...entity('key', String(key.key_id), key, json(row.key_budget)),
      token: String(key.token),
      retiredTokens: (key.retired_tokens as string[] | null) ?? [],
      hashKind: key.hash_kind === 'sha256' ? 'sha256' : 'sluice',
      keyName: String(key.key_name),
      keyAlias: (key.key_alias as string | null) ?? null,
      expiresMs: key.expires ? Date.parse(String(key.expires)) : null,
      aliases: (key.aliases as Record<string, string> | null) ?? {},
      allowedCacheControls: (key.allowed_cache_controls as string[] | null) ?? [],
      allowedRoutes: (key.allowed_routes as string[] | null) ?? [],
      enforcedParams: (key.enforced_params as string[] | null) ?? [],
      spendRoutes: (key.permissions as { get_spend_routes?: unknown } | null)?.get_spend_routes === true,
    },
    user: user ? { ...entity('user', String(user.user_id), user), role: String(user.user_role) } : undefined,
    team: team
      ? {
          ...entity('team', String(team.team_id), team),
          alias: (team.team_alias as string | null) ?? null,
          modelAliases: (team.model_aliases as Record<string, string> | null) ?? {},
        }
      : undefined,
    organization: organization ? entity('organization', String(organization.organization_id), organization, json(row.organization_budget)) : undefined,
  };
}

/** The entities in the order a decision checks them. */
export function entitiesOf(record: KeyRecord): Entity[] {
  const list: Entity[] = [record.key];
  if (record.user) list.push(record.user);
  if (record.team) list.push(record.team);
  if (record.organization) list.push(record.organization);
  return list;
}
