import { randomUUID } from 'node:crypto';
import {
  GatewayError,
  type OrganizationDeleteRequest,
  type OrganizationInfoRequest,
  type OrganizationMember,
  type OrganizationMemberAddRequest,
  type OrganizationMemberDeleteRequest,
  type OrganizationMemberUpdateRequest,
  type OrganizationNewRequest,
  type OrganizationUpdateRequest,
  type SqlClient,
} from '@sluice/common';
import { applyLimitFields, emptyLimitState, limitStateFromRow } from '../entities/limit-state.js';
import type { AdminContext, Caller, EntityChange } from './admin-context.js';
import { announceChanges } from './announce-changes.js';
import { requireBudget } from './budget-links.js';
import { deleteEntities, insertEntity, type Row, selectEntities, selectEntity, updateEntity } from './entity-tables.js';
import { liveUsage, organizationView, teamView } from './entity-views.js';
import { keyChangesWhere, memberUserId } from './team-admin.js';
import { userView } from './entity-views.js';

async function organizationRow(sql: SqlClient, organizationId: string, forUpdate = false): Promise<Row> {
  const row = await selectEntity(sql, 'organization', organizationId, forUpdate);
  if (!row) throw new GatewayError('not_found', `No organization with organization_id '${organizationId}'.`, { param: 'organization_id' });
  return row;
}

const organizationChange = (row: Row): EntityChange => ({ kind: 'organization', id: String(row.organization_id), version: Number(row.version) });

export async function newOrganization(context: AdminContext, caller: Caller, request: OrganizationNewRequest) {
  const nowMs = context.now();
  const row = await context.sql.transaction(async (tx) => {
    const organizationId = request.organization_id ?? randomUUID();
    if (await selectEntity(tx, 'organization', organizationId)) {
      throw new GatewayError('already_exists', `An organization with organization_id '${organizationId}' already exists.`);
    }
    await requireBudget(tx, request.budget_id);
    return insertEntity(
      tx,
      'organization',
      {
        organization_id: organizationId,
        organization_alias: request.organization_alias,
        budget_id: request.budget_id ?? null,
        created_by: caller.name,
        updated_by: caller.name,
        created_at: new Date(nowMs),
        updated_at: new Date(nowMs),
      },
      applyLimitFields(emptyLimitState(nowMs), request, nowMs),
    );
  });
  await announceChanges(context, [{ ...organizationChange(row), createdPeriodStart: nowMs }]);
  return organizationView(row);
}

export async function updateOrganization(context: AdminContext, caller: Caller, request: OrganizationUpdateRequest) {
  const row = await context.sql.transaction(async (tx) => {
    const current = await organizationRow(tx, request.organization_id, true);
    const columns: Record<string, unknown> = {};
    if (request.organization_alias !== undefined) columns.organization_alias = request.organization_alias;
    if (request.budget_id !== undefined) columns.budget_id = request.budget_id;
    await requireBudget(tx, request.budget_id);
    const nowMs = context.now();
    return updateEntity(
      tx,
      'organization',
      request.organization_id,
      columns,
      applyLimitFields(limitStateFromRow(current), request, nowMs),
      caller.name,
      nowMs,
    );
  });
  await announceChanges(context, [organizationChange(row)]);
  return organizationView(row);
}

/** Refused while teams still belong to the organisation; its own keys go with it. */
export async function deleteOrganizations(context: AdminContext, _caller: Caller, request: OrganizationDeleteRequest) {
  const changes = await context.sql.transaction(async (tx) => {
    for (const organizationId of request.organization_ids) await organizationRow(tx, organizationId, true);
    const teams = await tx.query<{ count: number }>('SELECT count(*)::int AS count FROM teams WHERE organization_id = ANY($1)', [request.organization_ids]);
    if (Number(teams.rows[0]?.count ?? 0) > 0) {
      throw new GatewayError('invalid_request', 'Delete or move the organization’s teams first.', { param: 'organization_ids' });
    }
    const keys = await keyChangesWhere(tx, 'organization_id', request.organization_ids);
    const users = await selectEntities(tx, 'user', 'WHERE organization_id = ANY($1)', [request.organization_ids]);
    const deleted = await deleteEntities(tx, 'organization', request.organization_ids);
    // Users stay, without the organisation (ON DELETE SET NULL): their cached keys must see that.
    const userChanges: EntityChange[] = [];
    for (const user of users) {
      const version = await tx.query<{ version: number }>(`UPDATE users SET version = nextval('entity_versions') WHERE user_id = $1 RETURNING version`, [user.user_id]);
      userChanges.push({ kind: 'user', id: String(user.user_id), version: Number(version.rows[0]!.version) });
    }
    return [...keys, ...userChanges, ...deleted.map((entity) => ({ kind: entity.kind, id: entity.id, version: entity.version }))];
  });
  await announceChanges(context, changes);
  return { deleted_organizations: request.organization_ids };
}

export async function organizationInfo(context: AdminContext, _caller: Caller, request: OrganizationInfoRequest) {
  const row = await organizationRow(context.sql, request.organization_id);
  const teams = await selectEntities(context.sql, 'team', 'WHERE organization_id = $1', [request.organization_id], 'ORDER BY created_at, team_id');
  const [usage] = await liveUsage(context, 'organization', 'organization_id', [row]);
  const teamUsages = await liveUsage(context, 'team', 'team_id', teams);
  return { ...organizationView(row, usage), teams: teams.map((team, index) => teamView(team, teamUsages[index])) };
}

export async function listOrganizations(context: AdminContext) {
  const rows = await selectEntities(context.sql, 'organization', '', [], 'ORDER BY created_at, organization_id LIMIT 1000');
  const usages = await liveUsage(context, 'organization', 'organization_id', rows);
  return rows.map((row, index) => organizationView(row, usages[index]));
}

// Organisation membership is the user's organization_id: Sluice keeps one organisation per user, so
// adding a user who belongs to another organisation is refused rather than moving them silently.

const userChangeOf = (row: Row): EntityChange => ({ kind: 'user', id: String(row.user_id), version: Number(row.version) });

async function setUserOrganization(context: AdminContext, tx: SqlClient, caller: Caller, userId: string, organizationId: string | null): Promise<Row> {
  const current = await selectEntity(tx, 'user', userId, true);
  if (!current) throw new GatewayError('not_found', `No user with user_id '${userId}'.`, { param: 'user_id' });
  return updateEntity(tx, 'user', userId, { organization_id: organizationId }, limitStateFromRow(current), caller.name, context.now());
}

async function memberOf(tx: SqlClient, organizationId: string, member: { user_id?: string; user_email?: string }): Promise<Row> {
  if (!member.user_id && !member.user_email) throw new GatewayError('invalid_request', "Send 'user_id' or 'user_email'.", { param: 'user_id' });
  const rows = await selectEntities(tx, 'user', 'WHERE organization_id = $1 AND (user_id = $2 OR lower(user_email) = lower($3))', [
    organizationId,
    member.user_id ?? null,
    member.user_email ?? null,
  ], 'FOR UPDATE');
  if (!rows[0]) throw new GatewayError('not_found', 'That user is not a member of this organization.');
  return rows[0];
}

export async function addOrganizationMembers(context: AdminContext, caller: Caller, request: OrganizationMemberAddRequest) {
  const members: OrganizationMember[] = Array.isArray(request.member) ? request.member : [request.member];
  const rows = await context.sql.transaction(async (tx) => {
    await organizationRow(tx, request.organization_id);
    const updated: Row[] = [];
    for (const member of members) {
      const userId = await memberUserId(tx, { user_id: member.user_id, user_email: member.user_email }, caller);
      const user = await selectEntity(tx, 'user', userId, true);
      const other = user?.organization_id;
      if (other && other !== request.organization_id) {
        throw new GatewayError('invalid_request', `User '${userId}' belongs to organization '${String(other)}'; Sluice keeps one organization per user.`, {
          param: 'member',
        });
      }
      updated.push(await setUserOrganization(context, tx, caller, userId, request.organization_id));
    }
    return updated;
  });
  await announceChanges(context, rows.map(userChangeOf));
  return { organization_id: request.organization_id, updated_users: rows.map((row) => userView(row)) };
}

export async function updateOrganizationMember(context: AdminContext, _caller: Caller, request: OrganizationMemberUpdateRequest) {
  // The only roles accepted are the ones every member has: nothing to store beyond the membership.
  const row = await memberOf(context.sql, request.organization_id, request);
  return { organization_id: request.organization_id, user_id: row.user_id, user_role: request.role ?? 'internal_user' };
}

export async function deleteOrganizationMember(context: AdminContext, caller: Caller, request: OrganizationMemberDeleteRequest) {
  const row = await context.sql.transaction(async (tx) => {
    const member = await memberOf(tx, request.organization_id, request);
    return setUserOrganization(context, tx, caller, String(member.user_id), null);
  });
  await announceChanges(context, [userChangeOf(row)]);
  return { organization_id: request.organization_id, deleted_user: row.user_id };
}
