import {
  ADMIN_ROUTES,
  type AdminRoute,
  adminRouteKey,
  changesState,
  errorSpec,
  GatewayError,
  openAiErrorBody,
} from '@sluice/common';
import type { JsonCall, JsonResult } from '@sluice/proto';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { TSchema } from '@sinclair/typebox';
import { routeAllowed } from '../decide/route-access.js';
import { apiKeyFormat } from '../keys/api-key-format.js';
import { candidateTokens, secretMatcher } from '../keys/hash-key.js';
import { loadKeyRecord } from '../keys/key-record.js';
import type { AdminContext, Caller } from './admin-context.js';
import { deleteKeys, generateKey, keyInfo, keyTokens, resetKeySpend, listKeys, regenerateKey, setKeyBlocked, updateKey } from './key-admin.js';
import {
  addOrganizationMembers,
  deleteOrganizationMember,
  deleteOrganizations,
  listOrganizations,
  newOrganization,
  organizationInfo,
  updateOrganization,
  updateOrganizationMember,
} from './organization-admin.js';
import { addTeamMembers, deleteTeamMember, deleteTeams, listTeams, newTeam, setTeamBlocked, teamInfo, updateTeam, updateTeamMember } from './team-admin.js';
import { deleteUsers, listUsers, newUser, updateUser, userInfo } from './user-admin.js';
import { budgetInfo, deleteBudget, listBudgets, newBudget, updateBudget } from './budget-admin.js';
import { customerInfo, deleteCustomers, listCustomers, newCustomer, setCustomersBlocked, updateCustomer } from './customer-admin.js';
import { deleteTag, listTags, newTag, tagInfo, updateTag } from './tag-admin.js';

// The admin API as policy answers it: who is calling (master key, compared in constant time, or a key
// whose user has the proxy_admin role), whether the route lets them, the input checked against the
// route's schema again (policy does not trust that its caller validated), then the handler.

// Handlers receive input already checked against the route's schema.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Handler = (context: AdminContext, caller: Caller, input: any, call: JsonCall) => Promise<unknown>;

const HANDLERS: Readonly<Record<string, Handler>> = {
  'POST /key/generate': generateKey,
  'POST /key/update': updateKey,
  'POST /key/regenerate': (context, caller, input, call) => regenerateKey(context, caller, input, call.query.key),
  'POST /key/delete': deleteKeys,
  'POST /key/block': (context, caller, input) => setKeyBlocked(context, caller, input, true),
  'POST /key/unblock': (context, caller, input) => setKeyBlocked(context, caller, input, false),
  'GET /key/info': keyInfo,
  'GET /key/list': listKeys,
  'POST /key/reset_spend': (context, caller, input, call) => resetKeySpend(context, caller, input, call.query.key),
  'POST /team/new': newTeam,
  'POST /team/update': updateTeam,
  'POST /team/delete': deleteTeams,
  'POST /team/block': (context, caller, input) => setTeamBlocked(context, caller, input, true),
  'POST /team/unblock': (context, caller, input) => setTeamBlocked(context, caller, input, false),
  'POST /team/member_add': addTeamMembers,
  'POST /team/member_delete': deleteTeamMember,
  'POST /team/member_update': updateTeamMember,
  'GET /team/info': teamInfo,
  'GET /team/list': listTeams,
  'POST /user/new': newUser,
  'POST /user/update': updateUser,
  'POST /user/delete': deleteUsers,
  'GET /user/info': userInfo,
  'GET /user/list': listUsers,
  'POST /organization/new': newOrganization,
  'POST /organization/update': updateOrganization,
  'POST /organization/delete': deleteOrganizations,
  'GET /organization/info': organizationInfo,
  'GET /organization/list': (context) => listOrganizations(context),
  'POST /organization/member_add': addOrganizationMembers,
  'POST /organization/member_update': updateOrganizationMember,
  'POST /organization/member_delete': deleteOrganizationMember,
  'POST /budget/new': newBudget,
  'POST /budget/update': updateBudget,
  'POST /budget/info': budgetInfo,
  'POST /budget/delete': deleteBudget,
  'GET /budget/list': (context) => listBudgets(context),
  'POST /customer/new': newCustomer,
  'POST /customer/update': updateCustomer,
  'POST /customer/delete': deleteCustomers,
  'POST /customer/block': (context, caller, input) => setCustomersBlocked(context, caller, input, true),
  'POST /customer/unblock': (context, caller, input) => setCustomersBlocked(context, caller, input, false),
  'GET /customer/info': customerInfo,
  'GET /customer/list': (context) => listCustomers(context),
  'POST /tag/new': newTag,
  'POST /tag/update': updateTag,
  'POST /tag/info': tagInfo,
  'POST /tag/delete': deleteTag,
  'GET /tag/list': (context) => listTags(context),
};

interface CompiledRoute {
  route: AdminRoute;
  check: TypeCheck<TSchema>;
  handler: Handler;
}

function result(status: number, body: unknown): JsonResult {
  return { status, bodyJson: Buffer.from(JSON.stringify(body)) };
}

function errorResult(error: GatewayError): JsonResult {
  return result(errorSpec(error.code).http, openAiErrorBody(error.code, error.message, error.details.param ?? null));
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** Postgres errors a request can cause, as client errors; an unreachable database as a 503. */
function databaseError(error: unknown): GatewayError | undefined {
  const code = (error as { code?: unknown }).code;
  if (code === '23505') return new GatewayError('already_exists', 'An object with this id or alias already exists.');
  if (code === '23503') return new GatewayError('invalid_request', 'The request refers to an object that does not exist.');
  // No SQLSTATE: the query never got an answer (refused, reset, timed out waiting for a connection).
  if (typeof code !== 'string' || !SQLSTATE.test(code)) {
    const message = error instanceof Error ? error.message : '';
    if (typeof code === 'string' || /timeout|connect|terminat/i.test(message)) return new GatewayError('policy_unavailable');
  }
  return undefined;
}

export interface AdminServiceOptions {
  /** general_settings.disable_key_management: every route that changes something answers 403. */
  keyManagementDisabled?: boolean;
  /** Hashes of the keys declared in general_settings.client_keys, which need not have the generated shape. */
  declaredTokens?: () => ReadonlySet<string>;
}

export function createAdminService(context: AdminContext, masterKey: string | undefined, options: AdminServiceOptions = {}) {
  const isMasterKey = masterKey ? secretMatcher(masterKey) : () => false;
  const routes = new Map<string, CompiledRoute>();
  for (const route of ADMIN_ROUTES) {
    const key = adminRouteKey(route.method, route.route);
    const handler = HANDLERS[key];
    if (!handler) throw new Error(`no handler for admin route ${key}`);
    routes.set(key, { route, check: TypeCompiler.Compile((route.body ?? route.query)!), handler });
  }

  async function authenticate(apiKey: string): Promise<Caller> {
    if (apiKey === '') throw new GatewayError('missing_api_key');
    if (isMasterKey(apiKey)) return { isAdmin: true, isMasterKey: true, token: undefined, name: 'master_key' };
    if (apiKeyFormat(apiKey) === 'malformed') throw new GatewayError('invalid_api_key');
    let token = '';
    let record: Awaited<ReturnType<typeof loadKeyRecord>> = null;
    for (const candidate of candidateTokens(apiKey, context.keyPepper)) {
      // Straight from the database, not the cache: an admin call must see a block or a role change at once.
      const found = await loadKeyRecord(context.sql, candidate.token).catch((error: unknown) => {
        context.logger.warn({ err: error }, 'cannot authenticate an admin call; database unavailable');
        throw new GatewayError('policy_unavailable');
      });
      if (found && (!context.keyPepper || (found.key.hashKind ?? 'sluice') === candidate.hashKind)) {
        token = candidate.token;
        record = found;
        break;
      }
    }
    if (!record) throw new GatewayError('invalid_api_key');
    if (record.key.limits.blocked) throw new GatewayError('key_blocked');
    if (record.key.expiresMs !== null && record.key.expiresMs <= context.now()) throw new GatewayError('key_expired');
    if (record.user?.limits.blocked) throw new GatewayError('user_blocked');
    if (record.team?.limits.blocked) throw new GatewayError('team_blocked');
    if (record.organization?.limits.blocked) throw new GatewayError('organization_blocked');
    return {
      isAdmin: record.user?.role === 'proxy_admin',
      isMasterKey: false,
      token,
      name: record.user?.id ?? record.key.id,
      allowedRoutes: record.key.allowedRoutes ?? [],
    };
  }

  function authorizeRoute(compiled: CompiledRoute, caller: Caller, input: Record<string, unknown>): void {
    if (caller.isAdmin) return;
    if (compiled.route.access === 'own-key') {
      const asked = typeof input.key === 'string' ? input.key : undefined;
      if (asked === undefined || keyTokens(context, asked).includes(caller.token ?? '')) return;
    }
    // The same answer whether or not what was asked about exists: no way to probe for other tenants' ids.
    throw new GatewayError('admin_only');
  }

  return async function admin(call: JsonCall): Promise<JsonResult> {
    try {
      const compiled = routes.get(adminRouteKey(call.method, call.route));
      if (!compiled) throw new GatewayError('not_found', `Unknown route: ${call.method} ${call.route}`);
      const caller = await authenticate(call.apiKey);
      // By the route's kind, not a list: routes added to the table later are covered too.
      if (options.keyManagementDisabled && changesState(compiled.route)) throw new GatewayError('key_management_disabled');
      if (!routeAllowed(caller.allowedRoutes ?? [], { route: call.route, admin: true, method: call.method })) {
        throw new GatewayError('route_not_allowed', `This key is not allowed to call ${call.route}.`);
      }
      let input: Record<string, unknown>;
      if (compiled.route.method === 'GET') {
        input = { ...call.query };
      } else {
        try {
          input = JSON.parse(Buffer.from(call.bodyJson).toString('utf8') || '{}') as Record<string, unknown>;
        } catch {
          throw new GatewayError('invalid_json');
        }
      }
      authorizeRoute(compiled, caller, input);
      if (!compiled.check.Check(input)) {
        const issue = compiled.check.Errors(input).First();
        const param = issue?.path.replace(/^\//, '').replaceAll('/', '.') || null;
        throw new GatewayError('invalid_request', `Invalid value for '${param ?? 'body'}': ${issue?.message ?? 'not allowed'}.`, { param });
      }
      return result(200, await compiled.handler(context, caller, input, call));
    } catch (error) {
      if (error instanceof GatewayError) return errorResult(error);
      const known = databaseError(error);
      if (known) return errorResult(known);
      context.logger.error({ err: error, route: call.route, requestId: call.requestId }, 'admin call failed');
      return errorResult(new GatewayError('internal_error'));
    }
  };
}
