import type { SqlClient } from '@sluice/common';
import type { EntityKind } from '../keys/key-record.js';
import { LIMIT_COLUMNS, type LimitState, limitColumnValues } from '../entities/limit-state.js';

// Reading and writing the four entity tables, which share their limit columns. Column names only ever
// come from the constants here, never from a request.

/** The entity tables, and budgets: limit columns too, though nothing is counted against a budget itself. */
export type TableKind = EntityKind | 'budget';

export const ENTITY_TABLES: Readonly<Record<TableKind, { table: string; id: string }>> = {
  key: { table: 'api_keys', id: 'key_id' },
  user: { table: 'users', id: 'user_id' },
  team: { table: 'teams', id: 'team_id' },
  organization: { table: 'organizations', id: 'organization_id' },
  end_user: { table: 'end_users', id: 'user_id' },
  tag: { table: 'tags', id: 'tag_name' },
  budget: { table: 'budgets', id: 'budget_id' },
};

export type Row = Record<string, unknown>;

/** One row as JSON (timestamps as ISO strings), optionally locked for an update in this transaction. */
export async function selectEntity(sql: SqlClient, kind: TableKind, id: string, forUpdate = false): Promise<Row | null> {
  const { table, id: idColumn } = ENTITY_TABLES[kind];
  const result = await sql.query<{ row: Row }>(
    `SELECT row_to_json(e) AS row FROM ${table} e WHERE ${idColumn} = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return result.rows[0]?.row ?? null;
}

export async function selectEntities(sql: SqlClient, kind: TableKind, where: string, params: unknown[], suffix = ''): Promise<Row[]> {
  const { table } = ENTITY_TABLES[kind];
  const result = await sql.query<{ row: Row }>(`SELECT row_to_json(e) AS row FROM ${table} e ${where} ${suffix}`, params);
  return result.rows.map((row) => row.row);
}

/** Inserts a row: `columns` are the table's own columns, the limit columns come from `state`. */
export async function insertEntity(sql: SqlClient, kind: TableKind, columns: Record<string, unknown>, state: LimitState): Promise<Row> {
  const { table } = ENTITY_TABLES[kind];
  const names = [...Object.keys(columns), ...LIMIT_COLUMNS];
  const values = [...Object.values(columns), ...limitColumnValues(state)];
  const placeholders = values.map((_, index) => `$${index + 1}`);
  const result = await sql.query<{ row: Row }>(
    `WITH inserted AS (INSERT INTO ${table} (${names.join(', ')}) VALUES (${placeholders.join(', ')}) RETURNING *)
     SELECT row_to_json(inserted) AS row FROM inserted`,
    values,
  );
  return result.rows[0]!.row;
}

/** Updates a row and raises its version; returns the new row. */
export async function updateEntity(
  sql: SqlClient,
  kind: TableKind,
  id: string,
  columns: Record<string, unknown>,
  state: LimitState,
  updatedBy: string,
  nowMs: number,
): Promise<Row> {
  const { table, id: idColumn } = ENTITY_TABLES[kind];
  const names = [...Object.keys(columns), ...LIMIT_COLUMNS];
  const values: unknown[] = [...Object.values(columns), ...limitColumnValues(state)];
  const assignments = names.map((name, index) => `${name} = $${index + 1}`);
  values.push(updatedBy, new Date(nowMs), id);
  const at = values.length;
  const result = await sql.query<{ row: Row }>(
    `WITH updated AS (
       UPDATE ${table} SET ${assignments.join(', ')}, version = nextval('entity_versions'), updated_by = $${at - 2}, updated_at = $${at - 1}
       WHERE ${idColumn} = $${at} RETURNING *)
     SELECT row_to_json(updated) AS row FROM updated`,
    values,
  );
  return result.rows[0]!.row;
}

/** A version above every version any entity has had: for announcing deletions. */
export async function freshVersion(sql: SqlClient): Promise<number> {
  const result = await sql.query<{ version: number }>(`SELECT nextval('entity_versions') AS version`);
  return Number(result.rows[0]!.version);
}

export interface DeletedEntity {
  kind: EntityKind;
  id: string;
  version: number;
  token?: string;
}

/** Deletes rows by id; returns what was deleted (keys with their hash), each with a fresh version to announce. */
export async function deleteEntities(sql: SqlClient, kind: EntityKind, ids: string[]): Promise<DeletedEntity[]> {
  const { table, id: idColumn } = ENTITY_TABLES[kind];
  const tokenColumn = kind === 'key' ? ', token' : '';
  const result = await sql.query<{ id: string; version: number; token?: string }>(
    `DELETE FROM ${table} WHERE ${idColumn} = ANY($1) RETURNING ${idColumn} AS id, nextval('entity_versions') AS version${tokenColumn}`,
    [ids],
  );
  return result.rows.map((row) => ({ kind, id: row.id, version: Number(row.version), ...(row.token ? { token: row.token } : {}) }));
}
