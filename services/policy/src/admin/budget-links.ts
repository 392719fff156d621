import { GatewayError, type SqlClient } from '@sluice/common';
import { type LimitState, limitStateFromRow, microsToUsd, withBudget } from '../entities/limit-state.js';
import type { EntityKind } from '../keys/key-record.js';
import type { EntityChange } from './admin-context.js';
import { ENTITY_TABLES, type Row, selectEntity } from './entity-tables.js';

// What links a budget (budget_id): keys, organisations, end users and tags. A change to a budget changes
// the limits of every row linking it, so each of them gets a new version and is announced like a
// change of its own: every replica's cache drops its copy, and a decision made from an old copy is
// refused as stale by the limit store and made again.

const LINKING: ReadonlyArray<{ kind: EntityKind; table: string; id: string }> = (['key', 'organization', 'end_user', 'tag'] as const).map((kind) => ({
  kind,
  ...ENTITY_TABLES[kind],
}));

/** The budget a request names must exist; null (unlink) and absent pass. */
export async function requireBudget(sql: SqlClient, budgetId: string | null | undefined): Promise<void> {
  if (budgetId === undefined || budgetId === null) return;
  if (!(await selectEntity(sql, 'budget', budgetId))) {
    throw new GatewayError('not_found', `No budget with budget_id '${budgetId}'.`, { param: 'budget_id' });
  }
}

/** Raises the version of every row linking one of the budgets; returns the changes to announce. */
export async function touchBudgetLinks(sql: SqlClient, budgetIds: string[]): Promise<EntityChange[]> {
  const changes: EntityChange[] = [];
  for (const { kind, table, id } of LINKING) {
    const result = await sql.query<{ id: string; version: number; token?: string }>(
      `UPDATE ${table} SET version = nextval('entity_versions') WHERE budget_id = ANY($1) RETURNING ${id} AS id, version${kind === 'key' ? ', token' : ''}`,
      [budgetIds],
    );
    for (const row of result.rows) changes.push({ kind, id: row.id, version: Number(row.version), ...(row.token ? { tokens: [row.token] } : {}) });
  }
  return changes;
}

/** How many rows link the budget, by kind, for refusing to delete one still in use. */
export async function budgetLinkCounts(sql: SqlClient, budgetId: string): Promise<string[]> {
  const uses: string[] = [];
  for (const { kind, table } of LINKING) {
    const result = await sql.query<{ count: number }>(`SELECT count(*)::int AS count FROM ${table} WHERE budget_id = $1`, [budgetId]);
    const count = Number(result.rows[0]?.count ?? 0);
    if (count > 0) uses.push(`${count} ${kind}${count === 1 ? '' : 's'}`);
  }
  return uses;
}

export interface LinkedRow {
  row: Row;
  budget: Row | null;
  /** The row's limits with its budget's filling the gaps: what a decision enforces. */
  effective: LimitState;
}

/** Rows of an end-user or tag table with their budgets. `where` and `suffix` are constants of the callers. */
export async function selectLinked(sql: SqlClient, kind: 'end_user' | 'tag', where: string, params: unknown[], suffix = ''): Promise<LinkedRow[]> {
  const { table } = ENTITY_TABLES[kind];
  const result = await sql.query<{ row: Row; budget: Row | null }>(
    `SELECT row_to_json(e) AS row, row_to_json(b) AS budget FROM ${table} e LEFT JOIN budgets b ON b.budget_id = e.budget_id ${where} ${suffix}`,
    params,
  );
  return result.rows.map(({ row, budget }) => ({ row, budget, effective: withBudget(limitStateFromRow(row), budget ? limitStateFromRow(budget) : null) }));
}

const usd = (micros: number | null) => (micros === null ? null : microsToUsd(micros));

/** LiteLLM's `litellm_budget_table` of an end user or tag: the limits that apply, or null when none. */
export function budgetTableView(linked: LinkedRow) {
  const state = linked.effective;
  const any =
    linked.budget !== null ||
    [state.max_budget_micros, state.soft_budget_micros, state.rpm_limit, state.tpm_limit, state.max_parallel_requests, state.budget_duration].some(
      (value) => value !== null,
    );
  if (!any) return null;
  return {
    budget_id: (linked.row.budget_id as string | null) ?? null,
    max_budget: usd(state.max_budget_micros),
    soft_budget: usd(state.soft_budget_micros),
    max_parallel_requests: state.max_parallel_requests,
    tpm_limit: state.tpm_limit,
    rpm_limit: state.rpm_limit,
    budget_duration: state.budget_duration,
    budget_reset_at: state.budget_reset_at === null ? null : new Date(state.budget_reset_at).toISOString(),
  };
}
