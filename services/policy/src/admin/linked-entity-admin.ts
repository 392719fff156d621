import { GatewayError, type LimitFieldsInput } from '@sluice/common';
import { applyLimitFields, emptyLimitState, limitStateFromRow } from '../entities/limit-state.js';
import type { AdminContext, Caller, EntityChange } from './admin-context.js';
import { announceChanges } from './announce-changes.js';
import { type LinkedRow, requireBudget, selectLinked } from './budget-links.js';
import { deleteEntities, ENTITY_TABLES, insertEntity, selectEntity, updateEntity } from './entity-tables.js';
import { type LiveUsage, liveUsage } from './entity-views.js';

// End users (customers) and tags are administered the same way: a row of limits, maybe linking a
// budget, with a few columns of its own. customer-admin.ts and tag-admin.ts give them LiteLLM's shapes.

export type LinkedKind = 'end_user' | 'tag';

export interface LinkedFields extends LimitFieldsInput {
  budget_id?: string | null;
}

const label = (kind: LinkedKind) => (kind === 'end_user' ? 'end user' : 'tag');

function notFound(kind: LinkedKind, id: string): GatewayError {
  const { id: idColumn } = ENTITY_TABLES[kind];
  return new GatewayError('not_found', `No ${label(kind)} with ${idColumn} '${id}'.`, { param: kind === 'end_user' ? 'user_id' : 'name' });
}

function ownColumns(own: Record<string, unknown>, budgetId: string | null | undefined): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(own)) if (value !== undefined) columns[column] = value;
  if (budgetId !== undefined) columns.budget_id = budgetId;
  return columns;
}

export async function readLinked(context: AdminContext, kind: LinkedKind, ids: string[]): Promise<Array<LinkedRow & { usage: LiveUsage }>> {
  const { id: idColumn } = ENTITY_TABLES[kind];
  const rows = await selectLinked(context.sql, kind, `WHERE e.${idColumn} = ANY($1)`, [ids], `ORDER BY e.${idColumn}`);
  const usages = await liveUsage(context, kind, idColumn, rows.map((linked) => linked.row));
  return rows.map((row, index) => ({ ...row, usage: usages[index]! }));
}

export async function listLinked(context: AdminContext, kind: LinkedKind): Promise<Array<LinkedRow & { usage: LiveUsage }>> {
  const { id: idColumn } = ENTITY_TABLES[kind];
  const rows = await selectLinked(context.sql, kind, '', [], `ORDER BY e.${idColumn} LIMIT 10000`);
  const usages = await liveUsage(context, kind, idColumn, rows.map((linked) => linked.row));
  return rows.map((row, index) => ({ ...row, usage: usages[index]! }));
}

export async function createLinked(
  context: AdminContext,
  caller: Caller,
  kind: LinkedKind,
  id: string,
  own: Record<string, unknown>,
  fields: LinkedFields,
): Promise<LinkedRow & { usage: LiveUsage }> {
  const nowMs = context.now();
  const { id: idColumn } = ENTITY_TABLES[kind];
  const row = await context.sql.transaction(async (tx) => {
    if (await selectEntity(tx, kind, id)) throw new GatewayError('already_exists', `A ${label(kind)} with ${idColumn} '${id}' already exists.`);
    await requireBudget(tx, fields.budget_id);
    const { budget_id: budgetId, ...limits } = fields;
    return insertEntity(
      tx,
      kind,
      { [idColumn]: id, ...ownColumns(own, budgetId), created_by: caller.name, updated_by: caller.name, created_at: new Date(nowMs), updated_at: new Date(nowMs) },
      applyLimitFields(emptyLimitState(nowMs), limits, nowMs),
    );
  });
  await announceChanges(context, [{ kind, id, version: Number(row.version), createdPeriodStart: nowMs }]);
  return (await readLinked(context, kind, [id]))[0]!;
}

export async function updateLinked(
  context: AdminContext,
  caller: Caller,
  kind: LinkedKind,
  id: string,
  own: Record<string, unknown>,
  fields: LinkedFields,
): Promise<LinkedRow & { usage: LiveUsage }> {
  const row = await context.sql.transaction(async (tx) => {
    const current = await selectEntity(tx, kind, id, true);
    if (!current) throw notFound(kind, id);
    await requireBudget(tx, fields.budget_id);
    const { budget_id: budgetId, ...limits } = fields;
    const nowMs = context.now();
    return updateEntity(tx, kind, id, ownColumns(own, budgetId), applyLimitFields(limitStateFromRow(current), limits, nowMs), caller.name, nowMs);
  });
  await announceChanges(context, [{ kind, id, version: Number(row.version) }]);
  return (await readLinked(context, kind, [id]))[0]!;
}

/** Sets `blocked`, creating rows for ids not seen before (LiteLLM blocks end users it has no row for). */
export async function setLinkedBlocked(context: AdminContext, caller: Caller, kind: LinkedKind, ids: string[], blocked: boolean): Promise<LinkedRow[]> {
  const nowMs = context.now();
  const { id: idColumn } = ENTITY_TABLES[kind];
  const changes = await context.sql.transaction(async (tx) => {
    const done: EntityChange[] = [];
    for (const id of new Set(ids)) {
      const current = await selectEntity(tx, kind, id, true);
      const state = { ...(current ? limitStateFromRow(current) : emptyLimitState(nowMs)), blocked };
      const row = current
        ? await updateEntity(tx, kind, id, {}, state, caller.name, nowMs)
        : await insertEntity(tx, kind, { [idColumn]: id, created_by: caller.name, updated_by: caller.name }, state);
      done.push({ kind, id, version: Number(row.version), ...(current ? {} : { createdPeriodStart: state.budget_period_start }) });
    }
    return done;
  });
  await announceChanges(context, changes);
  return selectLinked(context.sql, kind, `WHERE e.${idColumn} = ANY($1)`, [ids], `ORDER BY e.${idColumn}`);
}

export async function deleteLinked(context: AdminContext, kind: LinkedKind, ids: string[]): Promise<string[]> {
  const deleted = await context.sql.transaction((tx) => deleteEntities(tx, kind, ids));
  if (deleted.length === 0) throw notFound(kind, ids[0]!);
  await announceChanges(context, deleted.map(({ kind: deletedKind, id, version }) => ({ kind: deletedKind, id, version })));
  return deleted.map((entity) => entity.id);
}
