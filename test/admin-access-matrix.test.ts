// Every admin route (from the shared route table, so a new route is covered by being added there) ×
// {no key, a non-admin key of the team that owns the objects, a key of another team}: zero successes,
// every refusal a 401 or 403, and nothing changed. A non-admin key may read its own /key/info only.
import { ADMIN_ROUTES, type AdminRoute } from '@sluice/common';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type PolicyStack, request, startPolicyStack } from './helpers/policy-stack.js';

let stack: PolicyStack;
/** Objects owned by team A: the targets of every call. */
let target: { organizationId: string; teamId: string; userId: string; victimKey: string; victimToken: string };
let callers: Record<'no key' | 'member of the team' | 'other team', string>;

beforeAll(async () => {
  stack = await startPolicyStack('adminmatrix');
  const post = (path: string, body: unknown) => stack.admin('POST', path, body);
  const organization = await post('/organization/new', { organization_alias: 'tenant-a' });
  const teamA = await post('/team/new', { team_alias: 'a', organization_id: organization.body.organization_id, members_with_roles: [{ user_id: 'alice', role: 'admin' }] });
  const teamB = await post('/team/new', { team_alias: 'b' });
  const victim = await post('/key/generate', { team_id: teamA.body.team_id, user_id: 'alice', key_alias: 'victim' });
  // A team admin in LiteLLM terms, but not a proxy admin: still no admin API.
  const member = await post('/key/generate', { team_id: teamA.body.team_id, user_id: 'alice' });
  const outsider = await post('/key/generate', { team_id: teamB.body.team_id });
  target = {
    organizationId: organization.body.organization_id,
    teamId: teamA.body.team_id,
    userId: 'alice',
    victimKey: victim.body.key,
    victimToken: victim.body.token,
  };
  callers = { 'no key': '', 'member of the team': member.body.key, 'other team': outsider.body.key };
});

afterAll(async () => {
  await stack?.stop();
});

/** A valid input for each route, aimed at team A's objects, so a refusal can only come from access control. */
function sampleInput(route: AdminRoute): Record<string, unknown> {
  const samples: Record<string, Record<string, unknown>> = {
    '/key/generate': { team_id: target.teamId, max_budget: 1000 },
    '/key/update': { key: target.victimToken, max_budget: 1000 },
    '/key/regenerate': { key: target.victimToken },
    '/key/delete': { keys: [target.victimToken] },
    '/key/block': { key: target.victimToken },
    '/key/unblock': { key: target.victimToken },
    '/key/info': { key: target.victimToken },
    '/key/list': { team_id: target.teamId },
    '/team/new': { team_alias: 'intruder' },
    '/team/update': { team_id: target.teamId, max_budget: 1000 },
    '/team/delete': { team_ids: [target.teamId] },
    '/team/block': { team_id: target.teamId },
    '/team/unblock': { team_id: target.teamId },
    '/team/member_add': { team_id: target.teamId, member: { user_id: 'mallory', role: 'admin' } },
    '/team/member_delete': { team_id: target.teamId, user_id: target.userId },
    '/team/info': { team_id: target.teamId },
    '/team/list': {},
    '/user/new': { user_id: 'mallory', user_role: 'proxy_admin' },
    '/user/update': { user_id: target.userId, user_role: 'proxy_admin' },
    '/user/delete': { user_ids: [target.userId] },
    '/user/info': { user_id: target.userId },
    '/user/list': {},
    '/organization/new': { organization_alias: 'intruder' },
    '/organization/update': { organization_id: target.organizationId, max_budget: 1000 },
    '/organization/delete': { organization_ids: [target.organizationId] },
    '/organization/info': { organization_id: target.organizationId },
    '/organization/list': {},
    '/key/reset_spend': { key: target.victimToken, reset_to: 0 },
    '/team/member_update': { team_id: target.teamId, user_id: target.userId, role: 'user' },
    '/organization/member_add': { organization_id: target.organizationId, member: { user_id: 'mallory' } },
    '/organization/member_update': { organization_id: target.organizationId, user_id: target.userId, role: 'internal_user' },
    '/organization/member_delete': { organization_id: target.organizationId, user_id: target.userId },
    '/budget/new': { budget_id: 'intruder', max_budget: 1000 },
    '/budget/update': { budget_id: 'intruder', max_budget: 1000 },
    '/budget/info': { budgets: ['intruder'] },
    '/budget/delete': { id: 'intruder' },
    '/budget/list': {},
    '/customer/new': { user_id: 'mallory', max_budget: 1000 },
    '/customer/update': { user_id: 'mallory', max_budget: 1000 },
    '/customer/delete': { user_ids: ['mallory'] },
    '/customer/block': { user_ids: ['mallory'] },
    '/customer/unblock': { user_ids: ['mallory'] },
    '/customer/info': { end_user_id: 'mallory' },
    '/customer/list': {},
    '/tag/new': { name: 'intruder', max_budget: 1000 },
    '/tag/update': { name: 'intruder', max_budget: 1000 },
    '/tag/info': { names: ['intruder'] },
    '/tag/delete': { name: 'intruder' },
    '/tag/list': {},
  };
  const sample = samples[route.route];
  if (!sample) throw new Error(`no sample input for ${route.route}: add one so the matrix covers it`);
  return sample;
}

function call(route: AdminRoute, path: string, key: string) {
  const input = sampleInput(route);
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  if (route.method === 'GET') {
    const query = new URLSearchParams(input as Record<string, string>).toString();
    return request(`${stack.edges[0]}${path}${query ? `?${query}` : ''}`, { headers });
  }
  const url = path.replace(':key', target.victimToken);
  return request(`${stack.edges[0]}${url}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(path.includes(':key') ? {} : input),
  });
}

const cases = ADMIN_ROUTES.flatMap((route) => route.paths.map((path) => ({ route, path, name: `${route.method} ${path}` })));

describe('every admin route refuses callers without admin rights', () => {
  test('the matrix covers every route of the table', () => {
    expect(cases.length).toBeGreaterThanOrEqual(ADMIN_ROUTES.length);
    for (const { route } of cases) expect(() => sampleInput(route)).not.toThrow();
  });

  test.each(cases)('$name', async ({ route, path }) => {
    for (const [who, key] of Object.entries(callers)) {
      const reply = await call(route, path, key);
      const expected = key === '' ? [401] : [403];
      expect({ who, status: reply.status }).toEqual({ who, status: expected[0] });
      expect(reply.body.error.code).toBe(key === '' ? 'missing_api_key' : 'admin_only');
    }
  });

  test('nothing changed, and the objects still work', async () => {
    const info = await stack.admin('GET', `/key/info?key=${target.victimToken}`);
    expect(info.body.info).toMatchObject({ key_alias: 'victim', blocked: false, max_budget: null, team_id: target.teamId });
    expect((await stack.chat(target.victimKey)).status).toBe(200);
    const team = await stack.admin('GET', `/team/info?team_id=${target.teamId}`);
    expect(team.body.team_info).toMatchObject({ blocked: false, max_budget: null });
    expect(team.body.team_info.members_with_roles.map((member: { user_id: string }) => member.user_id)).toEqual(['alice']);
    const user = await stack.admin('GET', `/user/info?user_id=${target.userId}`);
    expect(user.body.user_info.user_role).toBe('internal_user');
    expect((await stack.admin('GET', '/user/info?user_id=mallory')).status).toBe(404);
    const organizations = await stack.admin('GET', '/organization/list');
    expect(organizations.body.map((organization: { organization_alias: string }) => organization.organization_alias)).toEqual(['tenant-a']);
    const teams = await stack.admin('GET', '/team/list');
    expect(teams.body.map((team: { team_alias: string }) => team.team_alias).sort()).toEqual(['a', 'b']);
  });

  test('a non-admin key reads its own /key/info, by value, by hash or implicitly, and no other', async () => {
    const key = callers['member of the team'];
    for (const query of ['', `?key=${key}`]) {
      const own = await request(`${stack.edges[0]}/key/info${query}`, { headers: { authorization: `Bearer ${key}` } });
      expect(own.status).toBe(200);
      expect(own.body.info.team_id).toBe(target.teamId);
    }
    const other = await request(`${stack.edges[0]}/key/info?key=${target.victimKey}`, { headers: { authorization: `Bearer ${key}` } });
    expect(other.status).toBe(403);
    // A key that does not exist gets the same answer as one that does: no probing.
    const missing = await request(`${stack.edges[0]}/key/info?key=${'0'.repeat(64)}`, { headers: { authorization: `Bearer ${key}` } });
    expect(missing.status).toBe(403);
  });
});
