import { randomUUID } from 'node:crypto';
import { CACHE_CONTROL_NAMES, type Sql, type SqlClient } from '@sluice/common';
import { emptyLimitState, type LimitState, limitStateFromRow, type ModelBudget, type ModelBudgetPeriod, usdToMicros } from '../entities/limit-state.js';
import type { EntityKind } from '../keys/key-record.js';
import { addDuration, isDuration } from '../limits/duration.js';
import { ENTITY_TABLES, insertEntity, type Row, selectEntities, updateEntity } from '../admin/entity-tables.js';

// Brings a LiteLLM proxy's keys, teams, users, organisations and memberships into Sluice's tables.
// LiteLLM stores a key only as the SHA-256 hex of its value (`token`), so imported keys keep working
// without anyone knowing them; its `spend` (the current budget period's, as LiteLLM resets it) is
// carried in so budgets continue where they were. Each source row becomes one planned action: create,
// update, unchanged (what makes a second run a no-op), or skipped with the reason, by id.

export type ImportKind = EntityKind | 'team_member' | 'end_user' | 'budget';
/** `merged`: a LiteLLM budget row whose limits went into the rows that use it. */
export type ImportVerb = 'create' | 'update' | 'unchanged' | 'merged' | 'skipped';

export interface ImportAction {
  kind: ImportKind;
  id: string;
  action: ImportVerb;
  /** Spend carried in, USD. */
  spend: number | null;
  note: string;
}

interface EntityWrite {
  kind: EntityKind;
  id: string;
  existing: Row | undefined;
  /** The entity's own columns as compared and written (timestamps as epoch ms, JSON as objects). */
  own: Record<string, unknown>;
  limits: Partial<LimitState>;
  budgetResetAtMs: number | null;
  carriedMicros: number;
}

interface MemberWrite {
  teamId: string;
  userId: string;
  role: 'admin' | 'user';
  exists: boolean;
}

export interface ImportPlan {
  actions: ImportAction[];
  entities: EntityWrite[];
  members: MemberWrite[];
}

const HASH = /^[0-9a-f]{64}$/;
const SLUICE_ROLES = new Set(['proxy_admin', 'proxy_admin_viewer', 'internal_user', 'internal_user_viewer']);
const CACHE_CONTROLS = new Set<string>(CACHE_CONTROL_NAMES);

class Unmappable extends Error {}

/** Every row of a LiteLLM table, as JSON; an absent table (an older LiteLLM) reads as empty. */
async function sourceRows(source: SqlClient, table: string): Promise<Row[]> {
  const exists = await source.query<{ found: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS found`, [`"${table}"`]);
  if (!exists.rows[0]?.found) return [];
  const result = await source.query<{ row: Row }>(`SELECT row_to_json(t) AS row FROM "${table}" t`);
  return result.rows.map((row) => row.row);
}

/** LiteLLM's timestamps are `timestamp without time zone` in UTC. */
function utcMs(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const text = String(value);
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
}

const text = (value: unknown): string | null => (value === null || value === undefined || value === '' ? null : String(value));
const count = (value: unknown): number | null => (value === null || value === undefined ? null : Math.trunc(Number(value)));
const micros = (value: unknown): number | null => (value === null || value === undefined ? null : usdToMicros(Number(value)));
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);
const object = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
const nonEmpty = (value: unknown) => (Array.isArray(value) ? value.length > 0 : Object.keys(object(value)).length > 0);

function duration(value: unknown, field: string): string | null {
  const given = text(value);
  if (given === null) return null;
  if (!isDuration(given)) throw new Unmappable(`${field} "${given}" is not a duration Sluice knows (30s, 30m, 30h, 30d, 2w, 1mo)`);
  return given;
}

function modelBudgets(value: unknown): Record<string, ModelBudget> {
  const budgets: Record<string, ModelBudget> = {};
  for (const [model, budget] of Object.entries(object(value))) {
    const limit = Number(object(budget).budget_limit);
    if (!Number.isFinite(limit) || limit < 0) throw new Unmappable(`model_max_budget for "${model}" has no budget_limit`);
    budgets[model] = { budget_limit: limit, time_period: duration(object(budget).time_period, `model_max_budget.${model}.time_period`) };
  }
  return budgets;
}

function modelCounts(value: unknown, field: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [model, limit] of Object.entries(object(value))) {
    const number = Number(limit);
    if (!Number.isInteger(number) || number < 0) throw new Unmappable(`${field} for "${model}" is not a count`);
    counts[model] = number;
  }
  return counts;
}

/** The limit fields LiteLLM keeps on the row itself, falling back to its budget row (budget_id). */
function limitsOf(row: Row, budget: Row | undefined): { limits: Partial<LimitState>; budgetResetAtMs: number | null } {
  const pick = (field: string) => (row[field] !== null && row[field] !== undefined ? row[field] : budget?.[field]);
  const metadata = object(row.metadata);
  const limits: Partial<LimitState> = {
    models: strings(row.models),
    max_budget_micros: micros(pick('max_budget')),
    soft_budget_micros: micros(pick('soft_budget')),
    budget_duration: duration(pick('budget_duration'), 'budget_duration'),
    rpm_limit: count(pick('rpm_limit')),
    tpm_limit: count(pick('tpm_limit')),
    max_parallel_requests: count(pick('max_parallel_requests')),
    model_max_budget: modelBudgets(pick('model_max_budget')),
    // LiteLLM keeps per-model rate limits of keys in metadata.
    model_rpm_limit: modelCounts(row.model_rpm_limit ?? metadata.model_rpm_limit, 'model_rpm_limit'),
    model_tpm_limit: modelCounts(row.model_tpm_limit ?? metadata.model_tpm_limit, 'model_tpm_limit'),
    metadata,
    blocked: row.blocked === true,
  };
  return { limits, budgetResetAtMs: utcMs(pick('budget_reset_at')) };
}

/** What is compared to decide between update and unchanged: never the periods Sluice runs itself. */
const COMPARED_LIMITS = [
  'models',
  'max_budget_micros',
  'soft_budget_micros',
  'budget_duration',
  'rpm_limit',
  'tpm_limit',
  'max_parallel_requests',
  'model_max_budget',
  'model_rpm_limit',
  'model_tpm_limit',
  'metadata',
  'blocked',
] as const;

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, item]) => item !== undefined && item !== null)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([key, item]) => [key, canonical(item)]),
    );
  }
  return value;
}

const TIMESTAMP_COLUMNS = new Set(['expires']);

function existingOwn(row: Row, own: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(own).map((column) => [column, TIMESTAMP_COLUMNS.has(column) ? utcMs(row[column]) : (row[column] ?? null)]));
}

function differs(write: EntityWrite): boolean {
  const row = write.existing!;
  const state = limitStateFromRow(row);
  const before = { own: existingOwn(row, write.own), limits: COMPARED_LIMITS.map((field) => state[field]), carried: Number(row.carried_spend_micros ?? 0) };
  const after = { own: write.own, limits: COMPARED_LIMITS.map((field) => write.limits[field] ?? emptyLimitState(0)[field]), carried: write.carriedMicros };
  return JSON.stringify(canonical(before)) !== JSON.stringify(canonical(after));
}

async function targetRows(target: SqlClient, kind: EntityKind): Promise<Map<string, Row>> {
  const rows = await selectEntities(target, kind, '', []);
  const key = kind === 'key' ? 'token' : ENTITY_TABLES[kind].id;
  return new Map(rows.map((row) => [String(row[key]), row]));
}

/** Reads both databases and works out every action; writes nothing. */
export async function planLitellmImport(source: SqlClient, target: SqlClient): Promise<ImportPlan> {
  const [budgets, organizations, teams, users, keys, endUsers, teamMemberships, organizationMemberships] = await Promise.all(
    [
      'LiteLLM_BudgetTable',
      'LiteLLM_OrganizationTable',
      'LiteLLM_TeamTable',
      'LiteLLM_UserTable',
      'LiteLLM_VerificationToken',
      'LiteLLM_EndUserTable',
      'LiteLLM_TeamMembership',
      'LiteLLM_OrganizationMembership',
    ].map((table) => sourceRows(source, table)),
  );
  const existing = {
    organization: await targetRows(target, 'organization'),
    team: await targetRows(target, 'team'),
    user: await targetRows(target, 'user'),
    key: await targetRows(target, 'key'),
    end_user: await targetRows(target, 'end_user'),
    tag: new Map<string, Row>(),
  };
  const members = await target.query<{ team_id: string; user_id: string; role: string }>('SELECT team_id, user_id, role FROM team_members');
  const existingMembers = new Map(members.rows.map((row) => [`${row.team_id}\n${row.user_id}`, row.role]));

  const budgetById = new Map(budgets!.map((row) => [String(row.budget_id), row]));
  const usedBudgets = new Set<string>();
  const plan: ImportPlan = { actions: [], entities: [], members: [] };
  const imported = { organization: new Set<string>(), team: new Set<string>(), user: new Set<string>(), end_user: new Set<string>(), tag: new Set<string>() };

  const budgetOf = (row: Row): Row | undefined => {
    const id = text(row.budget_id);
    if (id === null) return undefined;
    const budget = budgetById.get(id);
    if (!budget) throw new Unmappable(`budget_id "${id}" is not in LiteLLM_BudgetTable`);
    usedBudgets.add(id);
    return budget;
  };

  /** Plans one entity; a row that cannot be mapped is reported and leaves nothing behind. */
  const entity = (kind: EntityKind, id: string, build: () => Omit<EntityWrite, 'kind' | 'id' | 'existing'>, spendUsd: unknown, note = '') => {
    const spend = spendUsd === null || spendUsd === undefined ? null : Number(spendUsd);
    try {
      const write: EntityWrite = { kind, id, existing: existing[kind].get(id), ...build() };
      const action: ImportVerb = !write.existing ? 'create' : differs(write) ? 'update' : 'unchanged';
      if (action !== 'unchanged') plan.entities.push(write);
      plan.actions.push({ kind, id, action, spend, note });
      if (kind !== 'key') imported[kind].add(id);
      return true;
    } catch (error) {
      if (!(error instanceof Unmappable)) throw error;
      plan.actions.push({ kind, id, action: 'skipped', spend, note: error.message });
      return false;
    }
  };
  const requireImported = (kind: 'organization' | 'team' | 'user', id: string | null) => {
    if (id !== null && !imported[kind].has(id)) throw new Unmappable(`its ${kind} "${id}" is not imported`);
  };

  for (const row of organizations!) {
    const id = String(row.organization_id);
    entity(
      'organization',
      id,
      () => {
        const { limits, budgetResetAtMs } = limitsOf(row, budgetOf(row));
        return { own: { organization_alias: text(row.organization_alias) ?? id }, limits, budgetResetAtMs, carriedMicros: micros(row.spend) ?? 0 };
      },
      row.spend,
    );
  }

  // A user belongs to one organisation in Sluice: its own organization_id, else its only membership.
  const userOrganizations = new Map<string, string[]>();
  for (const membership of organizationMemberships!) {
    const list = userOrganizations.get(String(membership.user_id)) ?? [];
    list.push(String(membership.organization_id));
    userOrganizations.set(String(membership.user_id), list);
  }
  const emails = new Map<string, string>();
  for (const [id, row] of existing.user) if (row.user_email) emails.set(String(row.user_email).toLowerCase(), id);
  const sourceUsers = new Set(users!.map((row) => String(row.user_id)));
  for (const row of users!) {
    const id = String(row.user_id);
    const role = text(row.user_role);
    const note = role !== null && !SLUICE_ROLES.has(role) ? `user_role "${role}" imported as internal_user` : '';
    entity(
      'user',
      id,
      () => {
        const memberships = userOrganizations.get(id) ?? [];
        const organizationId = text(row.organization_id) ?? (memberships.length === 1 ? memberships[0]! : null);
        if (text(row.organization_id) === null && memberships.length > 1) {
          throw new Unmappable(`member of ${memberships.length} organisations (${memberships.join(', ')}); Sluice allows one`);
        }
        requireImported('organization', organizationId);
        const email = text(row.user_email);
        const owner = email === null ? undefined : emails.get(email.toLowerCase());
        if (owner !== undefined && owner !== id) throw new Unmappable(`user_email is already used by Sluice user "${owner}"`);
        const { limits, budgetResetAtMs } = limitsOf(row, undefined);
        return {
          own: { user_alias: text(row.user_alias), user_email: email, user_role: role !== null && SLUICE_ROLES.has(role) ? role : 'internal_user', organization_id: organizationId },
          limits,
          budgetResetAtMs,
          carriedMicros: micros(row.spend) ?? 0,
        };
      },
      row.spend,
      note,
    );
  }
  // LiteLLM lets keys and teams name users it has no row for; Sluice creates them bare, as its own API does.
  const bareUser = (id: string | null, by: string) => {
    if (id === null || sourceUsers.has(id) || imported.user.has(id)) return;
    entity('user', id, () => ({ own: {}, limits: {}, budgetResetAtMs: null, carriedMicros: 0 }), null, `not in LiteLLM_UserTable; created for ${by}`);
  };

  const memberRoles = new Map<string, Map<string, 'admin' | 'user'>>();
  const addMember = (teamId: string, userId: string, role: 'admin' | 'user') => {
    const roles = memberRoles.get(teamId) ?? new Map<string, 'admin' | 'user'>();
    if (roles.get(userId) !== 'admin') roles.set(userId, role);
    memberRoles.set(teamId, roles);
  };
  for (const row of teams!) {
    const id = String(row.team_id);
    const ok = entity(
      'team',
      id,
      () => {
        requireImported('organization', text(row.organization_id));
        const { limits, budgetResetAtMs } = limitsOf(row, undefined);
        return { own: { team_alias: text(row.team_alias), organization_id: text(row.organization_id) }, limits, budgetResetAtMs, carriedMicros: micros(row.spend) ?? 0 };
      },
      row.spend,
    );
    if (!ok) continue;
    for (const userId of strings(row.members)) addMember(id, userId, 'user');
    for (const userId of strings(row.admins)) addMember(id, userId, 'admin');
    const withRoles = Array.isArray(row.members_with_roles) ? row.members_with_roles : [];
    for (const member of withRoles.map(object)) {
      const userId = text(member.user_id);
      if (userId !== null) addMember(id, userId, member.role === 'admin' ? 'admin' : 'user');
    }
  }
  for (const row of users!) for (const teamId of strings(row.teams)) if (imported.team.has(teamId)) addMember(teamId, String(row.user_id), 'user');
  for (const row of teamMemberships!) {
    const teamId = String(row.team_id);
    const userId = String(row.user_id);
    if (text(row.budget_id) !== null) {
      plan.actions.push({ kind: 'team_member', id: `${teamId}/${userId}`, action: 'skipped', spend: Number(row.spend ?? 0), note: `per-member budget "${row.budget_id}" is not imported (Sluice has no per-member budgets); the membership is` });
      usedBudgets.add(String(row.budget_id));
    }
    if (imported.team.has(teamId)) addMember(teamId, userId, memberRoles.get(teamId)?.get(userId) ?? 'user');
  }
  for (const [teamId, roles] of memberRoles) {
    for (const [userId, role] of roles) {
      bareUser(userId, `team ${teamId}`);
      const id = `${teamId}/${userId}`;
      if (!imported.user.has(userId)) {
        plan.actions.push({ kind: 'team_member', id, action: 'skipped', spend: null, note: `user "${userId}" is not imported` });
        continue;
      }
      const before = existingMembers.get(`${teamId}\n${userId}`);
      const action: ImportVerb = before === undefined ? 'create' : before === role ? 'unchanged' : 'update';
      if (action !== 'unchanged') plan.members.push({ teamId, userId, role, exists: before !== undefined });
      plan.actions.push({ kind: 'team_member', id, action, spend: null, note: role === 'admin' ? 'admin' : '' });
    }
  }

  const aliases = new Map<string, string>();
  for (const [token, row] of existing.key) if (row.key_alias) aliases.set(String(row.key_alias), token);
  for (const row of keys!) {
    const token = String(row.token);
    bareUser(text(row.user_id), `key ${token}`);
    entity(
      'key',
      token,
      () => {
        if (!HASH.test(token)) throw new Unmappable('token is not a SHA-256 hex hash');
        requireImported('team', text(row.team_id));
        requireImported('user', text(row.user_id));
        requireImported('organization', text(row.organization_id));
        // Restrictions Sluice cannot enforce: importing the key without them would widen what it may do.
        for (const field of ['config', 'router_settings'] as const) {
          if (nonEmpty(row[field])) throw new Unmappable(`${field} is set and Sluice cannot enforce it`);
        }
        // get_spend_routes is the one permission Sluice honours.
        const permissions = object(row.permissions);
        const unknownPermission = Object.keys(permissions).find((name) => name !== 'get_spend_routes');
        if (unknownPermission !== undefined) throw new Unmappable(`permissions.${unknownPermission} is set and Sluice cannot enforce it`);
        if (text(row.object_permission_id) !== null) throw new Unmappable('object_permission_id is set and Sluice cannot enforce it');
        const controls = strings(row.allowed_cache_controls);
        const unknown = controls.find((control) => !CACHE_CONTROLS.has(control));
        if (unknown !== undefined) throw new Unmappable(`allowed_cache_controls has "${unknown}", which Sluice does not know`);
        const alias = text(row.key_alias);
        const holder = alias === null ? undefined : aliases.get(alias);
        if (holder !== undefined && holder !== token) throw new Unmappable(`key_alias "${alias}" is already used by another Sluice key`);
        const { limits, budgetResetAtMs } = limitsOf(row, budgetOf(row));
        return {
          own: {
            key_name: text(row.key_name) ?? 'sk-...',
            key_alias: alias,
            expires: utcMs(row.expires),
            aliases: object(row.aliases),
            permissions: permissions.get_spend_routes === true ? { get_spend_routes: true } : {},
            allowed_cache_controls: controls,
            allowed_routes: strings(row.allowed_routes),
            team_id: text(row.team_id),
            user_id: text(row.user_id),
            organization_id: text(row.organization_id),
          },
          limits,
          budgetResetAtMs,
          carriedMicros: micros(row.spend) ?? 0,
        };
      },
      row.spend,
    );
  }

  // End users (customers) keep their limits in their budget row: they come across with them inline.
  for (const row of endUsers!) {
    const id = String(row.user_id);
    entity(
      'end_user',
      id,
      () => {
        for (const field of ['allowed_model_region', 'default_model'] as const) {
          if (text(row[field]) !== null) throw new Unmappable(`${field} is set and Sluice cannot enforce it`);
        }
        const { limits, budgetResetAtMs } = limitsOf(row, budgetOf(row));
        return { own: { alias: text(row.alias) }, limits, budgetResetAtMs, carriedMicros: micros(row.spend) ?? 0 };
      },
      row.spend,
    );
  }
  for (const row of budgets!) {
    const id = String(row.budget_id);
    plan.actions.push(
      usedBudgets.has(id)
        ? { kind: 'budget', id, action: 'merged', spend: null, note: 'its limits are on the rows that use it' }
        : { kind: 'budget', id, action: 'skipped', spend: null, note: 'used by no imported row; Sluice has no budgets of its own' },
    );
  }
  return plan;
}

/** The model budget periods for new budgets start now; unchanged ones keep theirs. */
function modelPeriods(current: LimitState, budgets: Record<string, ModelBudget>, nowMs: number): Record<string, ModelBudgetPeriod> {
  const periods: Record<string, ModelBudgetPeriod> = {};
  for (const [model, budget] of Object.entries(budgets)) {
    const previous = current.model_budget_periods[model];
    const same = previous && (current.model_max_budget[model]?.time_period ?? null) === (budget.time_period ?? null);
    periods[model] = same ? previous : { start: nowMs, reset_at: budget.time_period ? addDuration(nowMs, budget.time_period) : null };
  }
  return periods;
}

function sqlColumns(own: Record<string, unknown>): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(own)) {
    if (TIMESTAMP_COLUMNS.has(column)) columns[column] = value === null ? null : new Date(value as number);
    else if (column === 'aliases' || column === 'permissions') columns[column] = JSON.stringify(value);
    else columns[column] = value;
  }
  return columns;
}

const WRITE_ORDER: readonly EntityKind[] = ['organization', 'user', 'team', 'key', 'end_user'];

/** Writes a plan in one transaction: all of it or, on any error, nothing. */
export async function applyLitellmImport(target: Sql, plan: ImportPlan, nowMs: number, actor = 'litellm-import'): Promise<void> {
  await target.transaction(async (tx) => {
    for (const kind of WRITE_ORDER) {
      for (const write of plan.entities.filter((candidate) => candidate.kind === kind)) {
        const current = write.existing ? limitStateFromRow(write.existing) : emptyLimitState(nowMs);
        const state: LimitState = { ...current, ...write.limits };
        const durationChanged = !write.existing || (write.limits.budget_duration ?? null) !== current.budget_duration;
        if (durationChanged) {
          // LiteLLM's own next reset when it has one still ahead, so the period ends when it would have.
          const resetAt = write.budgetResetAtMs !== null && write.budgetResetAtMs > nowMs ? write.budgetResetAtMs : null;
          state.budget_reset_at = state.budget_duration === null ? null : (resetAt ?? addDuration(nowMs, state.budget_duration));
        }
        state.model_budget_periods = modelPeriods(current, state.model_max_budget, nowMs);
        const columns = {
          ...sqlColumns(write.own),
          carried_spend_micros: write.carriedMicros,
          carried_period_start: new Date(state.budget_period_start),
        };
        if (write.existing) {
          const idColumn = ENTITY_TABLES[kind].id;
          await updateEntity(tx, kind, String(write.existing[idColumn]), columns, state, actor, nowMs);
        } else {
          const identity: Record<string, unknown> =
            kind === 'key' ? { key_id: randomUUID(), token: write.id, hash_kind: 'sha256' } : { [ENTITY_TABLES[kind].id]: write.id };
          await insertEntity(tx, kind, { ...identity, ...columns, created_by: actor, updated_by: actor }, state);
        }
      }
    }
    for (const member of plan.members) {
      await tx.query(
        `INSERT INTO team_members (team_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT (team_id, user_id) DO UPDATE SET role = EXCLUDED.role`,
        [member.teamId, member.userId, member.role],
      );
    }
  });
}

/** The plan as a fixed-width table, one action a line, then the totals. */
export function formatImportPlan(actions: readonly ImportAction[]): string {
  const header = ['kind', 'id', 'action', 'spend_usd', 'note'];
  const rows = actions.map((action) => [action.kind, action.id, action.action, action.spend === null ? '' : action.spend.toFixed(6), action.note]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ').trimEnd();
  const totals = (['create', 'update', 'unchanged', 'merged', 'skipped'] as const).map((verb) => `${actions.filter((action) => action.action === verb).length} ${verb}`);
  return [line(header), ...rows.map(line), '', totals.join(', ')].join('\n');
}
