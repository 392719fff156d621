import { randomUUID } from 'node:crypto';
import {
  GatewayError,
  type SqlClient,
  type TeamDeleteRequest,
  type TeamInfoRequest,
  type TeamListRequest,
  type TeamMember,
  type TeamMemberAddRequest,
  type TeamMemberDeleteRequest,
  type TeamMemberUpdateRequest,
  type TeamNewRequest,
  type TeamReferenceRequest,
  type TeamUpdateRequest,
} from '@sluice/common';
import { applyLimitFields, emptyLimitState, limitStateFromRow } from '../entities/limit-state.js';
import type { AdminContext, Caller, EntityChange } from './admin-context.js';
import { announceChanges } from './announce-changes.js';
import { deleteEntities, freshVersion, insertEntity, type Row, selectEntities, selectEntity, updateEntity } from './entity-tables.js';
import { keyView, liveUsage, teamView } from './entity-views.js';

async function teamRow(sql: SqlClient, teamId: string, forUpdate = false): Promise<Row> {
  const row = await selectEntity(sql, 'team', teamId, forUpdate);
  if (!row) throw new GatewayError('not_found', `No team with team_id '${teamId}'.`, { param: 'team_id' });
  return row;
}

async function checkOrganization(sql: SqlClient, organizationId: string | null | undefined): Promise<void> {
  if (organizationId && !(await selectEntity(sql, 'organization', organizationId))) {
    throw new GatewayError('not_found', `No organization with organization_id '${organizationId}'.`, { param: 'organization_id' });
  }
}

/** The member's user id, creating the user when the team names one not seen before. */
export async function memberUserId(sql: SqlClient, member: TeamMember, caller: Caller): Promise<string> {
  if (!member.user_id && !member.user_email) {
    throw new GatewayError('invalid_request', "A member needs 'user_id' or 'user_email'.", { param: 'member' });
  }
  if (!member.user_id) {
    const found = await sql.query<{ user_id: string }>('SELECT user_id FROM users WHERE lower(user_email) = lower($1)', [member.user_email]);
    if (found.rows[0]) return found.rows[0].user_id;
  }
  const userId = member.user_id ?? randomUUID();
  await sql.query(
    `INSERT INTO users (user_id, user_email, created_by, updated_by) VALUES ($1, $2, $3, $3) ON CONFLICT (user_id) DO NOTHING`,
    [userId, member.user_email ?? null, caller.name],
  );
  return userId;
}

async function addMembers(sql: SqlClient, teamId: string, members: TeamMember[], caller: Caller): Promise<void> {
  for (const member of members) {
    const userId = await memberUserId(sql, member, caller);
    await sql.query(
      `INSERT INTO team_members (team_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT (team_id, user_id) DO UPDATE SET role = EXCLUDED.role`,
      [teamId, userId, member.role ?? 'user'],
    );
  }
}

async function members(sql: SqlClient, teamId: string) {
  const result = await sql.query<{ user_id: string; user_email: string | null; role: string }>(
    `SELECT m.user_id, u.user_email, m.role FROM team_members m JOIN users u ON u.user_id = m.user_id WHERE m.team_id = $1 ORDER BY m.created_at, m.user_id`,
    [teamId],
  );
  return result.rows;
}

async function teamResponse(sql: SqlClient, row: Row) {
  return { ...teamView(row), members_with_roles: await members(sql, String(row.team_id)) };
}

const teamChange = (row: Row): EntityChange => ({ kind: 'team', id: String(row.team_id), version: Number(row.version) });

export async function newTeam(context: AdminContext, caller: Caller, request: TeamNewRequest) {
  const nowMs = context.now();
  const { row, body } = await context.sql.transaction(async (tx) => {
    await checkOrganization(tx, request.organization_id);
    const teamId = request.team_id ?? randomUUID();
    if (await selectEntity(tx, 'team', teamId)) throw new GatewayError('already_exists', `A team with team_id '${teamId}' already exists.`);
    const row = await insertEntity(
      tx,
      'team',
      {
        team_id: teamId,
        team_alias: request.team_alias ?? null,
        model_aliases: JSON.stringify(request.model_aliases ?? {}),
        organization_id: request.organization_id ?? null,
        created_by: caller.name,
        updated_by: caller.name,
        created_at: new Date(nowMs),
        updated_at: new Date(nowMs),
      },
      applyLimitFields(emptyLimitState(nowMs), request, nowMs),
    );
    await addMembers(tx, teamId, request.members_with_roles ?? [], caller);
    return { row, body: await teamResponse(tx, row) };
  });
  await announceChanges(context, [{ ...teamChange(row), createdPeriodStart: nowMs }]);
  return body;
}

async function changeTeam(context: AdminContext, caller: Caller, teamId: string, change: (tx: SqlClient, row: Row) => Promise<Row>) {
  const { row, body } = await context.sql.transaction(async (tx) => {
    const current = await teamRow(tx, teamId, true);
    const row = await change(tx, current);
    return { row, body: await teamResponse(tx, row) };
  });
  await announceChanges(context, [teamChange(row)]);
  return body;
}

export function updateTeam(context: AdminContext, caller: Caller, request: TeamUpdateRequest) {
  return changeTeam(context, caller, request.team_id, async (tx, current) => {
    await checkOrganization(tx, request.organization_id);
    const columns: Record<string, unknown> = {};
    if (request.team_alias !== undefined) columns.team_alias = request.team_alias;
    if (request.model_aliases !== undefined) columns.model_aliases = JSON.stringify(request.model_aliases ?? {});
    if (request.organization_id !== undefined) columns.organization_id = request.organization_id;
    const nowMs = context.now();
    return updateEntity(tx, 'team', request.team_id, columns, applyLimitFields(limitStateFromRow(current), request, nowMs), caller.name, nowMs);
  });
}

export function setTeamBlocked(context: AdminContext, caller: Caller, request: TeamReferenceRequest, blocked: boolean) {
  return changeTeam(context, caller, request.team_id, (tx, current) => {
    const nowMs = context.now();
    return updateEntity(tx, 'team', request.team_id, {}, { ...limitStateFromRow(current), blocked }, caller.name, nowMs);
  });
}

/** Bumps the team's version so cached keys of the team pick up who is in it. */
function touchTeam(context: AdminContext, caller: Caller, tx: SqlClient, current: Row): Promise<Row> {
  return updateEntity(tx, 'team', String(current.team_id), {}, limitStateFromRow(current), caller.name, context.now());
}

export function addTeamMembers(context: AdminContext, caller: Caller, request: TeamMemberAddRequest) {
  return changeTeam(context, caller, request.team_id, async (tx, current) => {
    await addMembers(tx, request.team_id, Array.isArray(request.member) ? request.member : [request.member], caller);
    return touchTeam(context, caller, tx, current);
  });
}

export function deleteTeamMember(context: AdminContext, caller: Caller, request: TeamMemberDeleteRequest) {
  return changeTeam(context, caller, request.team_id, async (tx, current) => {
    if (!request.user_id && !request.user_email) throw new GatewayError('invalid_request', "Send 'user_id' or 'user_email'.", { param: 'user_id' });
    const removed = await tx.query(
      `DELETE FROM team_members m USING users u
       WHERE m.team_id = $1 AND u.user_id = m.user_id AND (m.user_id = $2 OR lower(u.user_email) = lower($3))`,
      [request.team_id, request.user_id ?? null, request.user_email ?? null],
    );
    if (removed.rowCount === 0) throw new GatewayError('not_found', 'That user is not a member of this team.');
    return touchTeam(context, caller, tx, current);
  });
}

/** LiteLLM's /team/member_update: a member's role in the team. */
export function updateTeamMember(context: AdminContext, caller: Caller, request: TeamMemberUpdateRequest) {
  return changeTeam(context, caller, request.team_id, async (tx, current) => {
    if (!request.user_id && !request.user_email) throw new GatewayError('invalid_request', "Send 'user_id' or 'user_email'.", { param: 'user_id' });
    const updated = await tx.query(
      `UPDATE team_members m SET role = $4 FROM users u
       WHERE m.team_id = $1 AND u.user_id = m.user_id AND (m.user_id = $2 OR lower(u.user_email) = lower($3))`,
      [request.team_id, request.user_id ?? null, request.user_email ?? null, request.role],
    );
    if (updated.rowCount === 0) throw new GatewayError('not_found', 'That user is not a member of this team.');
    return touchTeam(context, caller, tx, current);
  });
}

/** Keys about to disappear with their owner (cascade), announced as deleted. */
export async function keyChangesWhere(sql: SqlClient, column: 'team_id' | 'user_id' | 'organization_id', ids: string[]): Promise<EntityChange[]> {
  const rows = await selectEntities(sql, 'key', `WHERE ${column} = ANY($1)`, [ids], 'FOR UPDATE');
  if (rows.length === 0) return [];
  const version = await freshVersion(sql);
  return rows.map((row) => ({ kind: 'key', id: String(row.key_id), version, tokens: [String(row.token)] }));
}

export async function deleteTeams(context: AdminContext, _caller: Caller, request: TeamDeleteRequest) {
  const changes = await context.sql.transaction(async (tx) => {
    for (const teamId of request.team_ids) await teamRow(tx, teamId, true);
    const keys = await keyChangesWhere(tx, 'team_id', request.team_ids);
    const teams = await deleteEntities(tx, 'team', request.team_ids);
    return [...keys, ...teams.map((team) => ({ kind: team.kind, id: team.id, version: team.version }))];
  });
  await announceChanges(context, changes);
  return { deleted_teams: request.team_ids, deleted_keys: changes.filter((change) => change.kind === 'key').length };
}

export async function teamInfo(context: AdminContext, _caller: Caller, request: TeamInfoRequest) {
  const row = await teamRow(context.sql, request.team_id);
  const keys = await selectEntities(context.sql, 'key', 'WHERE team_id = $1', [request.team_id], 'ORDER BY created_at, key_id LIMIT 1000');
  const [usage] = await liveUsage(context, 'team', 'team_id', [row]);
  const keyUsages = await liveUsage(context, 'key', 'key_id', keys);
  return {
    team_id: row.team_id,
    team_info: { ...teamView(row, usage), members_with_roles: await members(context.sql, request.team_id) },
    keys: keys.map((key, index) => keyView(key, keyUsages[index])),
  };
}

export async function listTeams(context: AdminContext, _caller: Caller, request: TeamListRequest) {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (request.organization_id) {
    params.push(request.organization_id);
    conditions.push(`organization_id = $${params.length}`);
  }
  if (request.user_id) {
    params.push(request.user_id);
    conditions.push(`team_id IN (SELECT team_id FROM team_members WHERE user_id = $${params.length})`);
  }
  const rows = await selectEntities(
    context.sql,
    'team',
    conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '',
    params,
    'ORDER BY created_at, team_id LIMIT 1000',
  );
  const usages = await liveUsage(context, 'team', 'team_id', rows);
  return rows.map((row, index) => teamView(row, usages[index]));
}
