import { randomUUID } from 'node:crypto';
import {
  GatewayError,
  type KeyDeleteRequest,
  type KeyGenerateRequest,
  type KeyInfoRequest,
  type KeyListRequest,
  type KeyReferenceRequest,
  type KeyRegenerateRequest,
  type KeyResetSpendRequest,
  type KeyUpdateRequest,
  type SqlClient,
} from '@sluice/common';
import { applyLimitFields, emptyLimitState, limitStateFromRow } from '../entities/limit-state.js';
import { routesForKeyType } from '../decide/route-access.js';
import { entityScopeName } from '../keys/key-record.js';
import { apiKeyFormat, generateApiKey } from '../keys/api-key-format.js';
import { candidateTokens, displayName, hashKey } from '../keys/hash-key.js';
import { addDuration } from '../limits/duration.js';
import type { AdminContext, Caller, EntityChange } from './admin-context.js';
import { announceChanges } from './announce-changes.js';
import { requireBudget } from './budget-links.js';
import { deleteEntities, insertEntity, type Row, selectEntities, selectEntity, updateEntity } from './entity-tables.js';
import { keyView, liveUsage } from './entity-views.js';

const HASH = /^[0-9a-f]{64}$/;

/**
 * A key named by its value or by its hash (`token`), as the hashes it may be stored under: Sluice's,
 * and LiteLLM's plain SHA-256 for an imported key when a pepper makes the two differ.
 */
export function keyTokens(context: AdminContext, reference: string): string[] {
  return HASH.test(reference) ? [reference] : candidateTokens(reference, context.keyPepper).map((candidate) => candidate.token);
}

async function keyRowByToken(sql: SqlClient, tokens: string[], forUpdate = false): Promise<Row> {
  // A plain hash only matches an imported key, a peppered one only a key of Sluice's.
  const rows = await selectEntities(
    sql,
    'key',
    `WHERE token = $1 OR (token = $2 AND hash_kind = 'sha256')`,
    [tokens[0], tokens[1] ?? tokens[0]],
    forUpdate ? 'LIMIT 1 FOR UPDATE' : 'LIMIT 1',
  );
  if (!rows[0]) throw new GatewayError('not_found', 'No such key.');
  return rows[0];
}

/** The owners a key names must exist; a user named for the first time is created (as LiteLLM does). */
export async function checkOwners(
  sql: SqlClient,
  owners: { team_id?: string | null; user_id?: string | null; organization_id?: string | null },
  caller: Caller,
): Promise<void> {
  if (owners.team_id && !(await selectEntity(sql, 'team', owners.team_id))) {
    throw new GatewayError('not_found', `No team with team_id '${owners.team_id}'.`, { param: 'team_id' });
  }
  if (owners.organization_id && !(await selectEntity(sql, 'organization', owners.organization_id))) {
    throw new GatewayError('not_found', `No organization with organization_id '${owners.organization_id}'.`, { param: 'organization_id' });
  }
  if (owners.user_id) {
    await sql.query(`INSERT INTO users (user_id, created_by, updated_by) VALUES ($1, $2, $2) ON CONFLICT (user_id) DO NOTHING`, [
      owners.user_id,
      caller.name,
    ]);
  }
}

/** key_type, allowed_routes and enforced_params as columns: only those the request set. */
function routeAccessColumns(request: Pick<KeyUpdateRequest, 'key_type' | 'allowed_routes' | 'enforced_params'>): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  if (request.key_type !== undefined) columns.key_type = request.key_type;
  // As LiteLLM: routes given win; otherwise a key_type brings its route group.
  if (request.allowed_routes !== undefined && request.allowed_routes !== null) columns.allowed_routes = request.allowed_routes;
  else if (request.key_type !== undefined) columns.allowed_routes = routesForKeyType(request.key_type);
  else if (request.allowed_routes === null) columns.allowed_routes = [];
  if (request.enforced_params !== undefined) columns.enforced_params = request.enforced_params ?? [];
  return columns;
}

function expiresFrom(duration: string | null | undefined, nowMs: number): Date | null {
  return duration ? new Date(addDuration(nowMs, duration)) : null;
}

/** Creates a key row and returns the one-time response with the plaintext key. */
export async function createKey(
  context: AdminContext,
  sql: SqlClient,
  caller: Caller,
  request: KeyGenerateRequest,
): Promise<{ response: Record<string, unknown>; change: EntityChange }> {
  const nowMs = context.now();
  await checkOwners(sql, request, caller);
  await requireBudget(sql, request.budget_id);
  const key = request.key ?? generateApiKey();
  if (request.key !== undefined && apiKeyFormat(request.key) === 'malformed') {
    // Sluice's own shape with a wrong checksum: it would be refused before lookup on every request.
    throw new GatewayError('invalid_request', "Invalid value for 'key': it has the shape of a generated key but not its checksum; choose another.", {
      param: 'key',
    });
  }
  const token = hashKey(key, context.keyPepper);
  const state = applyLimitFields(emptyLimitState(nowMs), request, nowMs);
  const row = await insertEntity(
    sql,
    'key',
    {
      key_id: randomUUID(),
      token,
      key_name: displayName(key),
      key_alias: request.key_alias ?? null,
      expires: expiresFrom(request.duration, nowMs),
      aliases: JSON.stringify(request.aliases ?? {}),
      permissions: JSON.stringify(request.permissions ?? {}),
      allowed_cache_controls: request.allowed_cache_controls ?? [],
      ...routeAccessColumns(request),
      team_id: request.team_id ?? null,
      user_id: request.user_id ?? null,
      organization_id: request.organization_id ?? null,
      budget_id: request.budget_id ?? null,
      created_by: caller.name,
      updated_by: caller.name,
      created_at: new Date(nowMs),
      updated_at: new Date(nowMs),
    },
    state,
  );
  return {
    // The only time the key itself is shown; from here on only its hash exists.
    response: { key, ...keyView(row), token_id: row.token },
    change: { kind: 'key', id: String(row.key_id), version: Number(row.version), tokens: [token], createdPeriodStart: state.budget_period_start },
  };
}

export async function generateKey(context: AdminContext, caller: Caller, request: KeyGenerateRequest) {
  const { response, change } = await context.sql.transaction((tx) => createKey(context, tx, caller, request));
  await announceChanges(context, [change]);
  return response;
}

/** Applies the fields of an update or regenerate to a locked key row. */
async function changeKey(
  context: AdminContext,
  sql: SqlClient,
  caller: Caller,
  row: Row,
  request: Omit<KeyUpdateRequest, 'key'>,
  extra: Record<string, unknown> = {},
): Promise<Row> {
  const nowMs = context.now();
  await checkOwners(sql, request, caller);
  await requireBudget(sql, request.budget_id);
  const columns: Record<string, unknown> = { ...extra };
  if (request.key_alias !== undefined) columns.key_alias = request.key_alias;
  if (request.duration !== undefined) columns.expires = expiresFrom(request.duration, nowMs);
  if (request.aliases !== undefined) columns.aliases = JSON.stringify(request.aliases ?? {});
  if (request.permissions !== undefined) columns.permissions = JSON.stringify(request.permissions ?? {});
  if (request.allowed_cache_controls !== undefined) columns.allowed_cache_controls = request.allowed_cache_controls ?? [];
  Object.assign(columns, routeAccessColumns(request));
  if (request.team_id !== undefined) columns.team_id = request.team_id;
  if (request.user_id !== undefined) columns.user_id = request.user_id;
  if (request.organization_id !== undefined) columns.organization_id = request.organization_id;
  if (request.budget_id !== undefined) columns.budget_id = request.budget_id;
  const state = applyLimitFields(limitStateFromRow(row), request, nowMs);
  return updateEntity(sql, 'key', String(row.key_id), columns, state, caller.name, nowMs);
}

function keyChange(row: Row, extraTokens: string[] = []): EntityChange {
  return { kind: 'key', id: String(row.key_id), version: Number(row.version), tokens: [String(row.token), ...extraTokens] };
}

export async function updateKey(context: AdminContext, caller: Caller, request: KeyUpdateRequest) {
  const { key, ...fields } = request;
  const row = await context.sql.transaction(async (tx) => {
    const current = await keyRowByToken(tx, keyTokens(context, key), true);
    return changeKey(context, tx, caller, current, fields);
  });
  await announceChanges(context, [keyChange(row)]);
  return keyView(row);
}

/** A new value for the key; the old one stops working at once on every replica. */
export async function regenerateKey(context: AdminContext, caller: Caller, request: KeyRegenerateRequest, pathKey: string | undefined) {
  const { key: bodyKey, ...fields } = request;
  const reference = bodyKey ?? pathKey;
  if (!reference) throw new GatewayError('invalid_request', "Missing required parameter: 'key'.", { param: 'key' });
  const key = generateApiKey();
  const token = hashKey(key, context.keyPepper);
  const { row, oldToken } = await context.sql.transaction(async (tx) => {
    const current = await keyRowByToken(tx, keyTokens(context, reference), true);
    const oldToken = String(current.token);
    const retired = [...((current.retired_tokens as string[] | null) ?? []), oldToken];
    const row = await changeKey(context, tx, caller, current, fields, { token, retired_tokens: retired, key_name: displayName(key) });
    return { row, oldToken };
  });
  await announceChanges(context, [keyChange(row, [oldToken])]);
  return { key, ...keyView(row), token_id: row.token };
}

export async function deleteKeys(context: AdminContext, _caller: Caller, request: KeyDeleteRequest) {
  const tokens = (request.keys ?? []).map((reference) => keyTokens(context, reference));
  const aliases = request.key_aliases ?? [];
  if (tokens.length === 0 && aliases.length === 0) {
    throw new GatewayError('invalid_request', "Send 'keys' or 'key_aliases'.", { param: 'keys' });
  }
  const deleted = await context.sql.transaction(async (tx) => {
    const rows = await selectEntities(tx, 'key', 'WHERE token = ANY($1) OR key_alias = ANY($2)', [tokens.flat(), aliases], 'FOR UPDATE');
    const missing =
      tokens.some((candidates) => !rows.some((row) => candidates.includes(String(row.token)))) ||
      aliases.some((alias) => !rows.some((row) => row.key_alias === alias));
    if (missing) throw new GatewayError('not_found', 'Some of the keys do not exist; nothing was deleted.');
    const gone = await deleteEntities(tx, 'key', rows.map((row) => String(row.key_id)));
    return gone.map((entity) => {
      const row = rows.find((candidate) => String(candidate.key_id) === entity.id)!;
      return { row, change: { ...keyChange(row), version: entity.version } };
    });
  });
  await announceChanges(context, deleted.map((item) => item.change));
  return { deleted_keys: [...(request.keys ?? []), ...aliases] };
}

export async function setKeyBlocked(context: AdminContext, caller: Caller, request: KeyReferenceRequest, blocked: boolean) {
  const row = await context.sql.transaction(async (tx) => {
    const current = await keyRowByToken(tx, keyTokens(context, request.key), true);
    return changeKey(context, tx, caller, current, { blocked });
  });
  await announceChanges(context, [keyChange(row)]);
  return keyView(row);
}

export async function keyInfo(context: AdminContext, caller: Caller, request: KeyInfoRequest) {
  const tokens = request.key ? keyTokens(context, request.key) : caller.token ? [caller.token] : [];
  if (tokens.length === 0) throw new GatewayError('invalid_request', "Missing required parameter: 'key'.", { param: 'key' });
  const row = await keyRowByToken(context.sql, tokens);
  const [usage] = await liveUsage(context, 'key', 'key_id', [row]);
  return { key: request.key ?? row.token, info: keyView(row, usage) };
}

export async function listKeys(context: AdminContext, _caller: Caller, request: KeyListRequest) {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const filter = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    params.push(value);
    conditions.push(`${column} = $${params.length}`);
  };
  filter('team_id', request.team_id);
  filter('user_id', request.user_id);
  filter('organization_id', request.organization_id);
  filter('key_alias', request.key_alias);
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const page = Math.max(1, Number(request.page ?? 1));
  const size = Math.min(1000, Math.max(1, Number(request.size ?? 10)));
  const count = await context.sql.query<{ count: number }>(`SELECT count(*)::int AS count FROM api_keys ${where}`, params);
  const total = Number(count.rows[0]?.count ?? 0);
  const rows = await selectEntities(context.sql, 'key', where, params, `ORDER BY created_at, key_id LIMIT ${size} OFFSET ${(page - 1) * size}`);
  const full = request.return_full_object === 'true';
  const usages = full ? await liveUsage(context, 'key', 'key_id', rows) : [];
  return {
    keys: full ? rows.map((row, index) => keyView(row, usages[index])) : rows.map((row) => row.token),
    total_count: total,
    current_page: page,
    total_pages: Math.ceil(total / size),
  };
}

/**
 * LiteLLM's /key/{key}/reset_spend with reset_to 0: the key starts a new budget period now, so its
 * spend counts from zero on every replica; the ledger keeps every request.
 */
export async function resetKeySpend(context: AdminContext, caller: Caller, request: KeyResetSpendRequest, pathKey: string | undefined) {
  const reference = request.key ?? pathKey;
  if (!reference) throw new GatewayError('invalid_request', "Missing required parameter: 'key'.", { param: 'key' });
  const nowMs = context.now();
  const row = await context.sql.transaction(async (tx) => {
    const current = await keyRowByToken(tx, keyTokens(context, reference), true);
    const state = { ...limitStateFromRow(current), budget_period_start: nowMs };
    return updateEntity(tx, 'key', String(current.key_id), { carried_spend_micros: 0, carried_period_start: null }, state, caller.name, nowMs);
  });
  await context.store.resetPeriods([{ name: entityScopeName('key', String(row.key_id)), periodStart: nowMs }]).catch((error: unknown) => {
    context.logger.warn({ err: error }, 'could not zero the key in the limit store; its next decision will');
  });
  await announceChanges(context, [keyChange(row)]);
  return keyView(row);
}
