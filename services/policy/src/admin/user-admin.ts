import { randomUUID } from 'node:crypto';
import {
  GatewayError,
  type SqlClient,
  type UserDeleteRequest,
  type UserInfoRequest,
  type UserListRequest,
  type UserNewRequest,
  type UserUpdateRequest,
} from '@sluice/common';
import { applyLimitFields, emptyLimitState, limitStateFromRow } from '../entities/limit-state.js';
import type { AdminContext, Caller, EntityChange } from './admin-context.js';
import { announceChanges } from './announce-changes.js';
import { deleteEntities, insertEntity, type Row, selectEntities, selectEntity, updateEntity } from './entity-tables.js';
import { keyView, liveUsage, teamView, userView } from './entity-views.js';
import { createKey } from './key-admin.js';
import { keyChangesWhere } from './team-admin.js';

async function userRow(sql: SqlClient, userId: string, forUpdate = false): Promise<Row> {
  const row = await selectEntity(sql, 'user', userId, forUpdate);
  if (!row) throw new GatewayError('not_found', `No user with user_id '${userId}'.`, { param: 'user_id' });
  return row;
}

async function checkOrganization(sql: SqlClient, organizationId: string | null | undefined): Promise<void> {
  if (organizationId && !(await selectEntity(sql, 'organization', organizationId))) {
    throw new GatewayError('not_found', `No organization with organization_id '${organizationId}'.`, { param: 'organization_id' });
  }
}

const userChange = (row: Row): EntityChange => ({ kind: 'user', id: String(row.user_id), version: Number(row.version) });

/** Creates a user and, unless auto_create_key is false, a key for them (LiteLLM's /user/new). */
export async function newUser(context: AdminContext, caller: Caller, request: UserNewRequest) {
  const nowMs = context.now();
  const { body, changes } = await context.sql.transaction(async (tx) => {
    await checkOrganization(tx, request.organization_id);
    const userId = request.user_id ?? randomUUID();
    if (await selectEntity(tx, 'user', userId)) throw new GatewayError('already_exists', `A user with user_id '${userId}' already exists.`);
    const row = await insertEntity(
      tx,
      'user',
      {
        user_id: userId,
        user_alias: request.user_alias ?? null,
        user_email: request.user_email ?? null,
        user_role: request.user_role ?? 'internal_user',
        organization_id: request.organization_id ?? null,
        created_by: caller.name,
        updated_by: caller.name,
        created_at: new Date(nowMs),
        updated_at: new Date(nowMs),
      },
      applyLimitFields(emptyLimitState(nowMs), request, nowMs),
    );
    for (const teamId of request.teams ?? []) {
      if (!(await selectEntity(tx, 'team', teamId))) throw new GatewayError('not_found', `No team with team_id '${teamId}'.`, { param: 'teams' });
      await tx.query('INSERT INTO team_members (team_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [teamId, userId]);
    }
    const changes: EntityChange[] = [{ ...userChange(row), createdPeriodStart: nowMs }];
    let key: Record<string, unknown> = {};
    if (request.auto_create_key !== false) {
      const created = await createKey(context, tx, caller, {
        user_id: userId,
        key_alias: request.key_alias ?? null,
        duration: request.duration ?? null,
        aliases: request.aliases ?? {},
      });
      changes.push(created.change);
      key = { key: created.response.key, token: created.response.token, key_name: created.response.key_name, expires: created.response.expires };
    }
    return { body: { ...userView(row), ...key, teams: request.teams ?? [] }, changes };
  });
  await announceChanges(context, changes);
  return body;
}

export async function updateUser(context: AdminContext, caller: Caller, request: UserUpdateRequest) {
  const row = await context.sql.transaction(async (tx) => {
    const current = await userRow(tx, request.user_id, true);
    await checkOrganization(tx, request.organization_id);
    const columns: Record<string, unknown> = {};
    if (request.user_alias !== undefined) columns.user_alias = request.user_alias;
    if (request.user_email !== undefined) columns.user_email = request.user_email;
    if (request.user_role !== undefined) columns.user_role = request.user_role;
    if (request.organization_id !== undefined) columns.organization_id = request.organization_id;
    const nowMs = context.now();
    return updateEntity(tx, 'user', request.user_id, columns, applyLimitFields(limitStateFromRow(current), request, nowMs), caller.name, nowMs);
  });
  await announceChanges(context, [userChange(row)]);
  return userView(row);
}

export async function deleteUsers(context: AdminContext, _caller: Caller, request: UserDeleteRequest) {
  const changes = await context.sql.transaction(async (tx) => {
    for (const userId of request.user_ids) await userRow(tx, userId, true);
    const keys = await keyChangesWhere(tx, 'user_id', request.user_ids);
    const users = await deleteEntities(tx, 'user', request.user_ids);
    return [...keys, ...users.map((user) => ({ kind: user.kind, id: user.id, version: user.version }))];
  });
  await announceChanges(context, changes);
  return { deleted_users: request.user_ids, deleted_keys: changes.filter((change) => change.kind === 'key').length };
}

export async function userInfo(context: AdminContext, _caller: Caller, request: UserInfoRequest) {
  const row = await userRow(context.sql, request.user_id);
  const keys = await selectEntities(context.sql, 'key', 'WHERE user_id = $1', [request.user_id], 'ORDER BY created_at, key_id LIMIT 1000');
  const teams = await selectEntities(
    context.sql,
    'team',
    'WHERE team_id IN (SELECT team_id FROM team_members WHERE user_id = $1)',
    [request.user_id],
    'ORDER BY created_at, team_id',
  );
  const [usage] = await liveUsage(context, 'user', 'user_id', [row]);
  const keyUsages = await liveUsage(context, 'key', 'key_id', keys);
  return {
    user_id: row.user_id,
    user_info: userView(row, usage),
    keys: keys.map((key, index) => keyView(key, keyUsages[index])),
    teams: teams.map((team) => teamView(team)),
  };
}

export async function listUsers(context: AdminContext, _caller: Caller, request: UserListRequest) {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (request.role) {
    params.push(request.role);
    conditions.push(`user_role = $${params.length}`);
  }
  if (request.team_id) {
    params.push(request.team_id);
    conditions.push(`user_id IN (SELECT user_id FROM team_members WHERE team_id = $${params.length})`);
  }
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const page = Math.max(1, Number(request.page ?? 1));
  const pageSize = Math.min(1000, Math.max(1, Number(request.page_size ?? 25)));
  const count = await context.sql.query<{ count: number }>(`SELECT count(*)::int AS count FROM users ${where}`, params);
  const total = Number(count.rows[0]?.count ?? 0);
  const rows = await selectEntities(context.sql, 'user', where, params, `ORDER BY created_at, user_id LIMIT ${pageSize} OFFSET ${(page - 1) * pageSize}`);
  const usages = await liveUsage(context, 'user', 'user_id', rows);
  return {
    users: rows.map((row, index) => userView(row, usages[index])),
    total,
    page,
    page_size: pageSize,
    total_pages: Math.ceil(total / pageSize),
  };
}
