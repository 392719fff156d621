import { randomUUID } from 'node:crypto';
import { type BudgetDeleteRequest, type BudgetInfoRequest, type BudgetNewRequest, type BudgetUpdateRequest, GatewayError } from '@sluice/common';
import { applyLimitFields, emptyLimitState, limitStateFromRow, microsToUsd } from '../entities/limit-state.js';
import type { AdminContext, Caller } from './admin-context.js';
import { announceChanges } from './announce-changes.js';
import { budgetLinkCounts, touchBudgetLinks } from './budget-links.js';
import { insertEntity, type Row, selectEntities, selectEntity, updateEntity } from './entity-tables.js';

// LiteLLM's /budget/* routes: reusable limits linked by budget_id (see budget-links.ts for what a
// change does to the rows that link one).

const iso = (value: unknown): string | null => (value === null || value === undefined ? null : new Date(String(value)).toISOString());
const usd = (micros: number | null) => (micros === null ? null : microsToUsd(micros));

/** A budget in LiteLLM_BudgetTable's field names. */
export function budgetView(row: Row) {
  const state = limitStateFromRow(row);
  return {
    budget_id: row.budget_id,
    max_budget: usd(state.max_budget_micros),
    soft_budget: usd(state.soft_budget_micros),
    max_parallel_requests: state.max_parallel_requests,
    tpm_limit: state.tpm_limit,
    rpm_limit: state.rpm_limit,
    model_max_budget: null,
    budget_duration: state.budget_duration,
    budget_reset_at: state.budget_reset_at === null ? null : new Date(state.budget_reset_at).toISOString(),
    created_at: iso(row.created_at),
    created_by: row.created_by ?? null,
    updated_at: iso(row.updated_at),
    updated_by: row.updated_by ?? null,
  };
}

export async function newBudget(context: AdminContext, caller: Caller, request: BudgetNewRequest) {
  const nowMs = context.now();
  const { budget_id: requestedId, ...fields } = request;
  const budgetId = requestedId ?? randomUUID();
  const row = await context.sql.transaction(async (tx) => {
    if (await selectEntity(tx, 'budget', budgetId)) throw new GatewayError('already_exists', `A budget with budget_id '${budgetId}' already exists.`);
    return insertEntity(
      tx,
      'budget',
      { budget_id: budgetId, created_by: caller.name, updated_by: caller.name, created_at: new Date(nowMs), updated_at: new Date(nowMs) },
      applyLimitFields(emptyLimitState(nowMs), fields, nowMs),
    );
  });
  return budgetView(row);
}

export async function updateBudget(context: AdminContext, caller: Caller, request: BudgetUpdateRequest) {
  const { budget_id: budgetId, ...fields } = request;
  const { row, changes } = await context.sql.transaction(async (tx) => {
    const current = await selectEntity(tx, 'budget', budgetId, true);
    if (!current) throw new GatewayError('not_found', `No budget with budget_id '${budgetId}'.`, { param: 'budget_id' });
    const nowMs = context.now();
    const row = await updateEntity(tx, 'budget', budgetId, {}, applyLimitFields(limitStateFromRow(current), fields, nowMs), caller.name, nowMs);
    return { row, changes: await touchBudgetLinks(tx, [budgetId]) };
  });
  await announceChanges(context, changes);
  return budgetView(row);
}

export async function budgetInfo(context: AdminContext, _caller: Caller, request: BudgetInfoRequest) {
  const rows = await selectEntities(context.sql, 'budget', 'WHERE budget_id = ANY($1)', [request.budgets], 'ORDER BY budget_id');
  if (rows.length === 0) throw new GatewayError('not_found', 'No budget with any of those budget_ids.', { param: 'budgets' });
  return rows.map(budgetView);
}

export async function listBudgets(context: AdminContext) {
  const rows = await selectEntities(context.sql, 'budget', '', [], 'ORDER BY budget_id');
  return rows.map(budgetView);
}

/** Refused while anything still links the budget: unlinking first says what loses its limits. */
export async function deleteBudget(context: AdminContext, _caller: Caller, request: BudgetDeleteRequest) {
  return context.sql.transaction(async (tx) => {
    const current = await selectEntity(tx, 'budget', request.id, true);
    if (!current) throw new GatewayError('not_found', `No budget with budget_id '${request.id}'.`, { param: 'id' });
    const uses = await budgetLinkCounts(tx, request.id);
    if (uses.length > 0) {
      throw new GatewayError('invalid_request', `Budget '${request.id}' is still linked by ${uses.join(', ')}; unlink them first (budget_id: null).`, { param: 'id' });
    }
    await tx.query('DELETE FROM budgets WHERE budget_id = $1', [request.id]);
    return budgetView(current);
  });
}
