// The admin API through the edge, with LiteLLM's routes and fields: keys, teams, users, organisations,
// and what each change does to the next model call.
import { Metadata } from '@grpc/grpc-js';
import { createInternalAuth, GRPC_CLIENT_OPTIONS } from '@sluice/common';
import { type Decision, PolicyClient } from '@sluice/proto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MASTER_KEY, type PolicyStack, startPolicyStack } from './helpers/policy-stack.js';
import { waitFor } from './helpers/wait-for.js';

let stack: PolicyStack;

beforeAll(async () => {
  stack = await startPolicyStack('adminapi');
});

afterAll(async () => {
  await stack?.stop();
});

const post = (path: string, body: unknown, key?: string) => stack.admin('POST', path, body, key);
const get = (path: string, key?: string) => stack.admin('GET', path, undefined, key);

describe('keys', () => {
  test('/key/generate returns the key once, its hash and a display name; only the hash is stored', async () => {
    const created = await post('/key/generate', {
      key_alias: 'alpha',
      models: ['gpt-test'],
      max_budget: 2.5,
      rpm_limit: 50,
      tpm_limit: 10_000,
      metadata: { owner: 'qa' },
    });
    expect(created.status).toBe(200);
    const key = created.body.key as string;
    expect(key).toMatch(/^sk-[0-9A-Za-z]{30}$/);
    expect(created.body.token).toMatch(/^[0-9a-f]{64}$/);
    expect(created.body.key_name).toBe(`sk-...${key.slice(-4)}`);
    expect(created.body).toMatchObject({ key_alias: 'alpha', models: ['gpt-test'], max_budget: 2.5, rpm_limit: 50, tpm_limit: 10_000, metadata: { owner: 'qa' } });

    const dump = await stack.backends.sql.query<{ text: string }>('SELECT row_to_json(k)::text AS text FROM api_keys k');
    expect(dump.rows.map((row) => row.text).join('\n')).not.toContain(key);

    const info = await get(`/key/info?key=${key}`);
    expect(info.status).toBe(200);
    expect(info.body.info).toMatchObject({ token: created.body.token, key_alias: 'alpha', spend: 0, max_budget: 2.5 });
    expect(info.body.info.key).toBeUndefined();
    const byHash = await get(`/key/info?key=${created.body.token}`);
    expect(byHash.body.info.key_alias).toBe('alpha');

    expect((await stack.chat(key)).status).toBe(200);
  });

  test('a key with a wrong checksum is refused as invalid without a lookup', async () => {
    const created = await post('/key/generate', {});
    const key = created.body.key as string;
    const tampered = `${key.slice(0, 10)}${key[10] === 'A' ? 'B' : 'A'}${key.slice(11)}`;
    const reply = await stack.chat(tampered);
    expect(reply.status).toBe(401);
    expect(reply.body.error.code).toBe('invalid_api_key');
  });

  test('models, aliases and model_not_allowed', async () => {
    const created = await post('/key/generate', { models: ['gpt-test'], aliases: { 'my-alias': 'gpt-test', 'sneaky': 'other-model' } });
    const key = created.body.key as string;
    const other = await stack.chat(key, { model: 'other-model' });
    expect(other.status).toBe(403);
    expect(other.body.error).toMatchObject({ code: 'model_not_allowed', type: 'permission_error' });
    expect(other.body.error.message).toContain('other-model');
    expect((await stack.chat(key, { model: 'my-alias' })).status).toBe(200);
    expect((fake().requests.at(-1)!.body as { model: string }).model).toBe('gpt-4.1-nano');
    // An alias does not open a model the key may not use.
    expect((await stack.chat(key, { model: 'sneaky' })).status).toBe(403);
    const models = await fetch(`${stack.edges[0]}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    expect(((await models.json()) as { data: Array<{ id: string }> }).data.map((model) => model.id)).toEqual(['gpt-test']);
  });

  test('/key/update changes limits and takes effect on the next call', async () => {
    const created = await post('/key/generate', {});
    const key = created.body.key as string;
    expect((await stack.chat(key, { model: 'other-model' })).status).toBe(200);
    const updated = await post('/key/update', { key, models: ['gpt-test'], rpm_limit: 7 });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ models: ['gpt-test'], rpm_limit: 7 });
    expect((await stack.chat(key, { model: 'other-model' })).status).toBe(403);
    const ok = await stack.chat(key);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-ratelimit-limit-requests')).toBe('7');
  });

  test('/key/block and /key/unblock', async () => {
    const created = await post('/key/generate', {});
    const key = created.body.key as string;
    expect((await stack.chat(key)).status).toBe(200);
    expect((await post('/key/block', { key })).body.blocked).toBe(true);
    const blocked = await stack.chat(key);
    expect(blocked.status).toBe(401);
    expect(blocked.body.error.code).toBe('key_blocked');
    expect((await post('/key/unblock', { key: created.body.token })).body.blocked).toBe(false);
    expect((await stack.chat(key)).status).toBe(200);
  });

  test('an expired key is refused with a clear message', async () => {
    const created = await post('/key/generate', { duration: '1s' });
    expect(Date.parse(created.body.expires)).toBeGreaterThan(Date.now() - 1_000);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const reply = await stack.chat(created.body.key);
    expect(reply.status).toBe(401);
    expect(reply.body.error.code).toBe('key_expired');
    expect(reply.body.error.message).toMatch(/expired at/);
  });

  test('/key/regenerate: a new value, the old one refused at once, spend kept', async () => {
    const created = await post('/key/generate', { key_alias: 'rotating' });
    const old = created.body.key as string;
    expect((await stack.chat(old)).status).toBe(200);
    await waitFor(async () => (await get(`/key/info?key=${old}`)).body.info.spend_micros > 0);
    const spent = (await get(`/key/info?key=${old}`)).body.info.spend_micros as number;
    const regenerated = await post(`/key/${created.body.token}/regenerate`, {});
    expect(regenerated.status).toBe(200);
    const fresh = regenerated.body.key as string;
    expect(fresh).not.toBe(old);
    expect(regenerated.body.key_alias).toBe('rotating');
    expect((await stack.chat(old)).status).toBe(401);
    expect((await stack.chat(fresh)).status).toBe(200);
    const info = await get(`/key/info?key=${fresh}`);
    expect(info.body.info.spend_micros).toBeGreaterThanOrEqual(spent);
  });

  test('/key/delete by value and by alias; /key/list filters and pages', async () => {
    const team = await post('/team/new', { team_alias: 'listing' });
    const keys = [];
    for (let index = 0; index < 3; index += 1) keys.push((await post('/key/generate', { team_id: team.body.team_id, key_alias: `list-${index}` })).body);
    const list = await get(`/key/list?team_id=${team.body.team_id}&size=2`);
    expect(list.body).toMatchObject({ total_count: 3, current_page: 1, total_pages: 2 });
    expect(list.body.keys).toEqual([keys[0].token, keys[1].token]);
    const full = await get(`/key/list?team_id=${team.body.team_id}&page=2&size=2&return_full_object=true`);
    expect(full.body.keys).toHaveLength(1);
    expect(full.body.keys[0]).toMatchObject({ key_alias: 'list-2', spend: 0 });

    const deleted = await post('/key/delete', { keys: [keys[0].key], key_aliases: ['list-1'] });
    expect(deleted.status).toBe(200);
    expect((await stack.chat(keys[0].key)).status).toBe(401);
    expect((await stack.chat(keys[1].key)).status).toBe(401);
    expect((await stack.chat(keys[2].key)).status).toBe(200);
    expect((await post('/key/delete', { keys: [keys[0].key] })).status).toBe(404);
  });

  test('a duplicate alias is 409 and an unknown field is a 400 naming it', async () => {
    await post('/key/generate', { key_alias: 'unique-one' });
    const duplicate = await post('/key/generate', { key_alias: 'unique-one' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error.code).toBe('already_exists');
    const unknown = await post('/key/generate', { max_budgt: 5 });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 'invalid_request', param: 'max_budgt' });
    const wrongType = await post('/key/generate', { rpm_limit: 'many' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.param).toBe('rpm_limit');
  });
});

describe('teams, users and organisations', () => {
  test('organisation → team → members → keys, with info and list', async () => {
    const organization = await post('/organization/new', { organization_alias: 'acme', max_budget: 100, models: ['gpt-test', 'other-model'] });
    expect(organization.status).toBe(200);
    const organizationId = organization.body.organization_id as string;
    const team = await post('/team/new', {
      team_alias: 'platform',
      organization_id: organizationId,
      rpm_limit: 100,
      members_with_roles: [{ role: 'admin', user_id: 'ada' }, { user_email: 'bob@example.com' }],
    });
    expect(team.status).toBe(200);
    expect(team.body).toMatchObject({ team_alias: 'platform', organization_id: organizationId, rpm_limit: 100 });
    expect(team.body.members_with_roles).toHaveLength(2);
    expect(team.body.members_with_roles).toEqual(
      expect.arrayContaining([
        { user_id: 'ada', user_email: null, role: 'admin' },
        { user_id: expect.any(String), user_email: 'bob@example.com', role: 'user' },
      ]),
    );
    const teamId = team.body.team_id as string;
    await post('/team/member_add', { team_id: teamId, member: { user_id: 'cy', role: 'user' } });
    const removed = await post('/team/member_delete', { team_id: teamId, user_email: 'bob@example.com' });
    expect(removed.body.members_with_roles.map((member: { user_id: string }) => member.user_id).sort()).toEqual(['ada', 'cy']);

    const key = await post('/key/generate', { team_id: teamId, user_id: 'ada' });
    const reply = await stack.chat(key.body.key);
    expect(reply.status).toBe(200);
    // The identity in the ledger names the team, the user and the team's organisation.
    await waitFor(async () => {
      const rows = await stack.backends.sql.query('SELECT 1 FROM spend_logs WHERE request_id = $1', [reply.headers.get('x-request-id')]);
      return rows.rowCount === 1;
    }, { timeoutMs: 20_000 });
    const row = await stack.backends.sql.query<{ team_id: string; user_id: string; organization_id: string }>(
      'SELECT team_id, user_id, organization_id FROM spend_logs WHERE request_id = $1',
      [reply.headers.get('x-request-id')],
    );
    expect(row.rows[0]).toEqual({ team_id: teamId, user_id: 'ada', organization_id: organizationId });

    const info = await get(`/team/info?team_id=${teamId}`);
    expect(info.body.team_info).toMatchObject({ team_id: teamId, team_alias: 'platform', rpm_limit: 100 });
    expect(info.body.keys.map((entry: { token: string }) => entry.token)).toEqual([key.body.token]);
    const teams = await get(`/team/list?organization_id=${organizationId}`);
    expect(teams.body.map((entry: { team_id: string }) => entry.team_id)).toEqual([teamId]);
    const organizationInfo = await get(`/organization/info?organization_id=${organizationId}`);
    expect(organizationInfo.body).toMatchObject({ organization_alias: 'acme', max_budget: 100 });
    expect(organizationInfo.body.teams.map((entry: { team_id: string }) => entry.team_id)).toEqual([teamId]);
    expect((await get('/organization/list')).body.some((entry: { organization_id: string }) => entry.organization_id === organizationId)).toBe(true);

    // An organisation with teams cannot be deleted; a team can, and its keys go with it.
    expect((await post('/organization/delete', { organization_ids: [organizationId] })).status).toBe(400);
    expect((await post('/team/delete', { team_ids: [teamId] })).body.deleted_keys).toBe(1);
    expect((await stack.chat(key.body.key)).status).toBe(401);
    expect((await post('/organization/delete', { organization_ids: [organizationId] })).status).toBe(200);
    expect((await get(`/organization/info?organization_id=${organizationId}`)).status).toBe(404);
  });

  test('an id deleted and created again starts clean: no stale copies, no refusals', async () => {
    await post('/team/new', { team_id: 'phoenix' });
    await post('/user/new', { user_id: 'phoenix-user', auto_create_key: false });
    const before = (await post('/key/generate', { team_id: 'phoenix', user_id: 'phoenix-user' })).body.key as string;
    expect((await stack.chat(before)).status).toBe(200);
    await post('/team/delete', { team_ids: ['phoenix'] });
    await post('/user/delete', { user_ids: ['phoenix-user'] });
    expect((await stack.chat(before)).status).toBe(401);
    await post('/team/new', { team_id: 'phoenix', rpm_limit: 5 });
    await post('/user/new', { user_id: 'phoenix-user', auto_create_key: false });
    const after = (await post('/key/generate', { team_id: 'phoenix', user_id: 'phoenix-user' })).body.key as string;
    const reply = await stack.chat(after);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('x-ratelimit-limit-requests')).toBe('5');
  });

  test('a blocked team or organisation stops its keys; the model lists of all owners apply', async () => {
    const organization = await post('/organization/new', { organization_alias: 'narrow', models: ['gpt-test'] });
    const team = await post('/team/new', { organization_id: organization.body.organization_id });
    const key = (await post('/key/generate', { team_id: team.body.team_id })).body.key as string;
    expect((await stack.chat(key, { model: 'other-model' })).status).toBe(403);
    expect((await stack.chat(key)).status).toBe(200);
    await post('/team/block', { team_id: team.body.team_id });
    const teamBlocked = await stack.chat(key);
    expect(teamBlocked.status).toBe(403);
    expect(teamBlocked.body.error.code).toBe('team_blocked');
    await post('/team/unblock', { team_id: team.body.team_id });
    await post('/organization/update', { organization_id: organization.body.organization_id, blocked: true });
    expect((await stack.chat(key)).body.error.code).toBe('organization_blocked');
  });

  test('/user/new creates a user with a key; a proxy_admin user key may use the admin API', async () => {
    const user = await post('/user/new', { user_id: 'grace', user_email: 'grace@example.com', max_budget: 10, user_role: 'proxy_admin' });
    expect(user.status).toBe(200);
    expect(user.body).toMatchObject({ user_id: 'grace', user_role: 'proxy_admin', max_budget: 10 });
    expect(user.body.key).toMatch(/^sk-/);
    const adminKey = user.body.key as string;
    expect((await stack.chat(adminKey)).status).toBe(200);
    const made = await post('/key/generate', { user_id: 'grace' }, adminKey);
    expect(made.status).toBe(200);
    expect(made.body.created_by).toBe('grace');

    const info = await get('/user/info?user_id=grace');
    expect(info.body.user_info).toMatchObject({ user_id: 'grace', user_email: 'grace@example.com', max_budget: 10 });
    expect(info.body.keys).toHaveLength(2);
    const list = await get('/user/list?role=proxy_admin');
    expect(list.body.users.map((entry: { user_id: string }) => entry.user_id)).toContain('grace');

    // Demoted: the same key loses the admin API at once.
    await post('/user/update', { user_id: 'grace', user_role: 'internal_user' });
    expect((await post('/key/generate', {}, adminKey)).status).toBe(403);
    expect((await post('/user/delete', { user_ids: ['grace'] })).body.deleted_keys).toBe(2);
    expect((await stack.chat(adminKey)).status).toBe(401);
  });
});

function fake() {
  return stack.fake;
}

describe('admin calls without the master key', () => {
  test('no key is 401; a made-up key is 401; a non-admin key is 403', async () => {
    const none = await fetch(`${stack.edges[0]}/key/list`);
    expect(none.status).toBe(401);
    expect((await get('/key/list', 'sk-not-a-real-key')).status).toBe(401);
    const key = (await post('/key/generate', {})).body.key as string;
    const forbidden = await get('/key/list', key);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('admin_only');
    // Its own /key/info is the one thing it may read.
    const own = await get('/key/info', key);
    expect(own.status).toBe(200);
    expect(own.body.info.key_name).toBe(`sk-...${key.slice(-4)}`);
  });

  test('the master key is compared whole', async () => {
    expect((await get('/key/list', `${MASTER_KEY}x`)).status).toBe(401);
    expect((await get('/key/list', MASTER_KEY.slice(0, -1))).status).toBe(401);
  });
});

describe('Authorize with admin_route (what other admin-only edge routes rely on)', () => {
  test('allowed with identity.is_admin for the master key and proxy_admin keys only', async () => {
    const auth = createInternalAuth(stack.backends.env.SLUICE_INTERNAL_TOKEN);
    const client = new PolicyClient(`127.0.0.1:${stack.stack.services.policy.ports.grpc}`, auth.credentials(), {
      ...GRPC_CLIENT_OPTIONS,
      interceptors: auth.interceptors(),
    });
    const authorize = (apiKey: string) =>
      new Promise<Decision>((resolve, reject) => {
        client.authorize(
          {
            requestId: crypto.randomUUID(),
            apiKey,
            route: '/spend/logs',
            adminRoute: true,
            model: '',
            estimatedPromptTokens: 0,
            maxTokens: 0,
            endUser: '',
            cacheControls: [],
            checkOnly: false,
            traceparent: '',
            choices: 1,
            tags: [],
            leaseOnly: false,
            leaseRequests: 0,
          },
          new Metadata(),
          { deadline: new Date(Date.now() + 5_000) },
          (error, decision) => (error ? reject(error) : resolve(decision)),
        );
      });
    try {
      const admin = (await post('/user/new', { user_role: 'proxy_admin' })).body.key as string;
      const plain = (await post('/key/generate', {})).body.key as string;
      const master = await authorize(MASTER_KEY);
      expect(master).toMatchObject({ allowed: true, identity: { isAdmin: true, isMasterKey: true } });
      expect(await authorize(admin)).toMatchObject({ allowed: true, identity: { isAdmin: true, isMasterKey: false } });
      expect(await authorize(plain)).toMatchObject({ allowed: false, errorCode: 'admin_only', identity: { isAdmin: false } });
      expect(await authorize('')).toMatchObject({ allowed: false, errorCode: 'missing_api_key' });
    } finally {
      client.close();
    }
  });
});
