// Every request field of LiteLLM's /key/generate, /key/update, /team/new and /team/update (its request
// models: GenerateRequestBase, KeyRequestBase, GenerateKeyRequest, UpdateKeyRequest, TeamBase,
// NewTeamRequest, UpdateTeamRequest), each either honoured, with a test showing its effect, or refused with
// a 400 naming it.
//
// An honoured field is shown either here (`effect`: the field set on a fresh key or team makes a request
// through the gateway behave differently) or by a named test elsewhere (`shownBy`, which this file checks
// exists). The table must also name every field Sluice's schemas accept, so nothing is accepted unshown.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TObject } from '@sinclair/typebox';
import { KeyGenerateBody, KeyUpdateBody, TeamNewBody, TeamUpdateBody } from '@sluice/common';
import { REPOSITORY_ROOT } from '@sluice/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type PolicyStack, type Reply, startPolicyStack } from './helpers/policy-stack.js';
import { waitFor } from './helpers/wait-for.js';

type Route = '/key/generate' | '/key/update' | '/team/new' | '/team/update';
const KEY_ROUTES: Route[] = ['/key/generate', '/key/update'];
const TEAM_ROUTES: Route[] = ['/team/new', '/team/update'];
const ALL_ROUTES: Route[] = [...KEY_ROUTES, ...TEAM_ROUTES];

let stack: PolicyStack;
/** Owners that refuse every request of their keys: setting one as a key's owner shows the field works. */
let blockedOrganization: string;
let blockedTeam: string;
const BLOCKED_USER = 'blocked-owner';

/** A request through the gateway with a key: does it show the field's effect? */
type Effect = (key: string) => Promise<boolean>;

const status = async (key: string, body: Record<string, unknown> = {}) => (await stack.chat(key, body)).status;
const errorCode = async (key: string, body: Record<string, unknown> = {}) => ((await stack.chat(key, body)) as Reply).body?.error?.code as string | undefined;
/** Refused with 429 within three requests (a per-minute limit of 1, whatever the window held before). */
const limitedWithin3 = (body: Record<string, unknown> = {}): Effect => async (key) => {
  for (let attempt = 0; attempt < 3; attempt += 1) if ((await status(key, body)) === 429) return true;
  return false;
};

interface Honoured {
  field: string;
  routes: Route[];
  /** The value that shows the effect (the table test sets it on a fresh key or team). */
  value?: unknown;
  effect?: Effect;
  /** [test file, test title]: where the effect is shown instead. */
  shownBy?: [string, string];
}

// Request effects shared by keys and teams (a team's limit applies to its keys).
const LIMIT_EFFECTS: Honoured[] = [
  { field: 'rpm_limit', routes: ALL_ROUTES, value: 1, effect: limitedWithin3() },
  { field: 'tpm_limit', routes: ALL_ROUTES, value: 1, effect: async (key) => (await status(key)) === 429 },
  { field: 'max_budget', routes: ALL_ROUTES, value: 0.000001, effect: async (key) => (await errorCode(key)) === 'budget_exceeded' },
  { field: 'models', routes: ALL_ROUTES, value: ['other-model'], effect: async (key) => (await status(key)) === 403 && (await status(key, { model: 'other-model' })) === 200 },
  { field: 'model_rpm_limit', routes: ALL_ROUTES, value: { 'gpt-test': 1 }, effect: async (key) => (await limitedWithin3()(key)) && (await status(key, { model: 'other-model' })) === 200 },
  { field: 'model_tpm_limit', routes: ALL_ROUTES, value: { 'gpt-test': 1 }, effect: async (key) => (await status(key)) === 429 && (await status(key, { model: 'other-model' })) === 200 },
  { field: 'blocked', routes: ALL_ROUTES, value: true, effect: async (key) => ['key_blocked', 'team_blocked'].includes((await errorCode(key)) ?? '') },
];

const HONOURED: Honoured[] = [
  ...LIMIT_EFFECTS,
  { field: 'model_max_budget', routes: KEY_ROUTES, value: { 'gpt-test': { budget_limit: 0.000001 } }, effect: async (key) => (await errorCode(key)) === 'budget_exceeded' && (await status(key, { model: 'other-model' })) === 200 },
  { field: 'aliases', routes: KEY_ROUTES, value: { fast: 'gpt-test' }, effect: async (key) => (await status(key, { model: 'fast' })) === 200 },
  { field: 'model_aliases', routes: TEAM_ROUTES, value: { fast: 'gpt-test' }, effect: async (key) => (await status(key, { model: 'fast' })) === 200 },
  // Cache controls only mean something with the response cache on, which this stack has not.
  { field: 'allowed_cache_controls', routes: KEY_ROUTES, shownBy: ['test/response-cache.test.ts', 'a key cannot use a control it is not allowed, until an admin allows it'] },
  { field: 'enforced_params', routes: KEY_ROUTES, value: ['user'], effect: async (key) => (await status(key)) === 400 && (await status(key, { user: 'someone' })) === 200 },
  { field: 'allowed_routes', routes: KEY_ROUTES, value: ['/v1/embeddings'], effect: async (key) => (await errorCode(key)) === 'route_not_allowed' },
  { field: 'key_type', routes: KEY_ROUTES, value: 'management', effect: async (key) => (await errorCode(key)) === 'route_not_allowed' },
  { field: 'organization_id', routes: ALL_ROUTES, effect: async (key) => (await errorCode(key)) === 'organization_blocked' },
  { field: 'duration', routes: KEY_ROUTES, value: '1s', effect: async (key) => (await errorCode(key)) === 'key_expired' },
  { field: 'budget_id', routes: ['/key/generate'], shownBy: ['test/budgets-end-users-tags.test.ts', '/key/generate takes budget_id: the budget caps a key that sets no max_budget'] },
  { field: 'budget_id', routes: ['/key/update'], shownBy: ['test/budgets-end-users-tags.test.ts', '/key/update links a budget; /budget/update reaches every replica at once'] },
  { field: 'key', routes: ['/key/generate'], shownBy: ['test/litellm-migration.test.ts', '/key/generate takes a chosen sk- key; it answers'] },
  { field: 'key', routes: ['/key/update'], shownBy: ['test/policy-admin-api.test.ts', '/key/update changes limits and takes effect on the next call'] },
  { field: 'key_alias', routes: ['/key/generate'], shownBy: ['test/policy-admin-api.test.ts', '/key/delete by value and by alias'] },
  { field: 'key_alias', routes: ['/key/update'], shownBy: ['test/litellm-admin-fields.test.ts', 'key_alias, metadata and budget_duration changed by /key/update'] },
  { field: 'team_id', routes: KEY_ROUTES, effect: async (key) => (await errorCode(key)) === 'team_blocked' },
  { field: 'team_id', routes: TEAM_ROUTES, shownBy: ['test/policy-admin-api.test.ts', 'organisation → team → members → keys, with info and list'] },
  { field: 'user_id', routes: KEY_ROUTES, effect: async (key) => (await errorCode(key)) === 'user_blocked' },
  { field: 'max_parallel_requests', routes: KEY_ROUTES, shownBy: ['test/policy-rate-limits.test.ts', 'max_parallel_requests across replicas'] },
  { field: 'budget_duration', routes: ['/key/generate'], shownBy: ['test/policy-budgets.test.ts', 'budget_duration resets spend when the period ends'] },
  { field: 'budget_duration', routes: ['/key/update'], shownBy: ['test/litellm-admin-fields.test.ts', 'key_alias, metadata and budget_duration changed by /key/update'] },
  { field: 'budget_duration', routes: TEAM_ROUTES, shownBy: ['test/litellm-admin-fields.test.ts', 'budget_duration on a team gives it a reset time'] },
  { field: 'soft_budget', routes: ['/key/generate', '/team/new'], shownBy: ['test/soft-budget-alerts.test.ts', 'reached by a key, its team and its user'] },
  { field: 'soft_budget', routes: ['/key/update', '/team/update'], shownBy: ['test/soft-budget-alerts.test.ts', 'set later by /key/update and /team/update'] },
  { field: 'metadata', routes: ['/key/generate'], shownBy: ['test/litellm-migration.test.ts', 'metadata is kept and send_invite_email is accepted'] },
  { field: 'metadata', routes: ['/key/update'], shownBy: ['test/litellm-admin-fields.test.ts', 'key_alias, metadata and budget_duration changed by /key/update'] },
  { field: 'metadata', routes: TEAM_ROUTES, shownBy: ['test/litellm-admin-fields.test.ts', 'metadata and team_alias on a team are kept'] },
  { field: 'team_alias', routes: TEAM_ROUTES, shownBy: ['test/litellm-spend-routes.test.ts', '/global/spend/teams: daily spend per team alias'] },
  { field: 'tags', routes: [...KEY_ROUTES, '/team/new'], shownBy: ['test/litellm-migration.test.ts', 'tags on a key, its team and the request are all recorded in the ledger'] },
  { field: 'tags', routes: ['/team/update'], shownBy: ['test/litellm-admin-fields.test.ts', 'tags changed by /team/update are recorded with the next request'] },
  { field: 'permissions', routes: KEY_ROUTES, shownBy: ['test/litellm-spend-routes.test.ts', 'get_spend_routes: false (or none) keeps them admin only; /key/update grants it live'] },
  { field: 'members_with_roles', routes: ['/team/new'], shownBy: ['test/litellm-migration.test.ts', '/team/member_update changes a role'] },
  // LiteLLM sends an invitation only with its email settings; Sluice has none, so the field changes nothing, as there.
  { field: 'send_invite_email', routes: ['/key/generate'], shownBy: ['test/litellm-migration.test.ts', 'metadata is kept and send_invite_email is accepted'] },
];

/** LiteLLM's fields that Sluice refuses with a 400 naming them. */
const REFUSED: Array<{ field: string; routes: Route[] }> = [
  ...[
    'spend', 'agent_id', 'budget_limits', 'config', 'budget_fallbacks', 'mcp_rpm_limit', 'tag_rpm_limit', 'guardrails', 'policies', 'prompts',
    'object_permission', 'tpd_limit', 'default_estimated_output_tokens', 'default_estimated_output_tokens_per_model', 'disable_global_guardrails',
    'enable_prompt_caching', 'throttle_on_budget_exceeded', 'allowed_passthrough_routes', 'denied_passthrough_routes', 'allowed_vector_store_indexes',
    'rpm_limit_type', 'tpm_limit_type', 'router_settings', 'access_group_ids', 'auto_rotate', 'rotation_interval', 'project_id',
  ].map((field) => ({ field, routes: KEY_ROUTES })),
  ...['temp_budget_increase', 'temp_budget_expiry'].map((field) => ({ field, routes: ['/key/update'] as Route[] })),
  ...[
    'admins', 'members', 'team_member_permissions', 'budget_limits', 'router_settings', 'access_group_ids', 'default_team_member_models', 'guardrails',
    'policies', 'prompts', 'object_permission', 'allowed_passthrough_routes', 'disable_global_guardrails', 'secret_manager_settings', 'rpm_limit_type',
    'tpm_limit_type', 'default_estimated_output_tokens', 'default_estimated_output_tokens_per_model', 'mcp_rpm_limit', 'team_member_budget',
    'team_member_rpm_limit', 'team_member_tpm_limit', 'team_member_key_duration', 'team_member_budget_duration', 'allowed_vector_store_indexes',
    'enforced_batch_output_expires_after', 'enforced_file_expires_after',
  ].map((field) => ({ field, routes: TEAM_ROUTES })),
];

/** Fields Sluice's schemas accept beyond LiteLLM's (or that identify the thing changed): not walked here. */
const SLUICE_EXTRAS: Record<Route, string[]> = {
  '/key/generate': [],
  '/key/update': [],
  // LiteLLM's teams have no max_parallel_requests or model_max_budget on these requests; Sluice's do.
  '/team/new': ['max_parallel_requests', 'model_max_budget'],
  '/team/update': ['max_parallel_requests', 'model_max_budget'],
};
const SCHEMAS: Record<Route, TObject> = {
  '/key/generate': KeyGenerateBody,
  '/key/update': KeyUpdateBody,
  '/team/new': TeamNewBody,
  '/team/update': TeamUpdateBody,
};

const honouredOn = (route: Route) => HONOURED.filter((entry) => entry.routes.includes(route));
const refusedOn = (route: Route) => REFUSED.filter((entry) => entry.routes.includes(route));

beforeAll(async () => {
  stack = await startPolicyStack('adminfields');
  blockedOrganization = (await stack.admin('POST', '/organization/new', { organization_alias: 'Blocked org', blocked: true })).body.organization_id;
  blockedTeam = (await stack.admin('POST', '/team/new', { team_alias: 'Blocked team', blocked: true })).body.team_id;
  await stack.admin('POST', '/user/new', { user_id: BLOCKED_USER, blocked: true, auto_create_key: false });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const valueOf = (entry: Honoured) =>
  entry.field === 'organization_id' ? blockedOrganization : entry.field === 'team_id' ? blockedTeam : entry.field === 'user_id' ? BLOCKED_USER : entry.value;

/** A fresh key with `field` set through `route` (on the key, or on its team); resolves to the key. */
async function keyWith(route: Route, field: string, value: unknown): Promise<string> {
  const post = async (path: string, body: Record<string, unknown>) => {
    const reply = await stack.admin('POST', path, body);
    expect(reply.status, `${path} ${JSON.stringify(body)}: ${JSON.stringify(reply.body)}`).toBe(200);
    return reply.body;
  };
  switch (route) {
    case '/key/generate':
      return (await post('/key/generate', { [field]: value })).key;
    case '/key/update': {
      const key = (await post('/key/generate', {})).key;
      await post('/key/update', { key, [field]: value });
      return key;
    }
    case '/team/new':
      return (await post('/key/generate', { team_id: (await post('/team/new', { [field]: value })).team_id })).key;
    case '/team/update': {
      const team = (await post('/team/new', {})).team_id;
      const key = (await post('/key/generate', { team_id: team })).key;
      await post('/team/update', { team_id: team, [field]: value });
      return key;
    }
  }
}

describe('the table of LiteLLM fields', () => {
  test.each(ALL_ROUTES)('%s: every field Sluice accepts is in the table as honoured', (route) => {
    const accepted = Object.keys(SCHEMAS[route].properties).filter((name) => !SLUICE_EXTRAS[route].includes(name));
    const listed = new Set(honouredOn(route).map((entry) => entry.field));
    // The identifier of the thing changed needs no effect of its own.
    if (route === '/team/update') listed.add('team_id');
    expect(accepted.filter((name) => !listed.has(name))).toEqual([]);
    expect(refusedOn(route).filter((entry) => Object.hasOwn(SCHEMAS[route].properties, entry.field))).toEqual([]);
  });

  test('every effect shown elsewhere is shown by a test that exists', () => {
    for (const entry of HONOURED.filter((candidate) => candidate.shownBy)) {
      const [file, title] = entry.shownBy!;
      expect(readFileSync(join(REPOSITORY_ROOT, file), 'utf8'), `${entry.field}: ${file} › ${title}`).toContain(title);
    }
  });
});

describe('honoured fields change what a request may do', () => {
  const cases = ALL_ROUTES.flatMap((route) => honouredOn(route).filter((entry) => entry.effect).map((entry) => [route, entry.field, entry] as const));
  test.each(cases)('%s %s', async (route, _field, entry) => {
    const key = await keyWith(route, entry.field, valueOf(entry));
    if (entry.field === 'duration') await new Promise((resolve) => setTimeout(resolve, 1_100));
    // Changes travel to policy by an announcement: an update may take a moment.
    await waitFor(() => entry.effect!(key), { timeoutMs: 10_000, message: `${route} ${entry.field} had no effect` });
  });

  test('key_alias, metadata and budget_duration changed by /key/update are what /key/info and the ledger show', async () => {
    const key = (await stack.admin('POST', '/key/generate', { key_alias: 'first-name', metadata: { owner: 'a' } })).body;
    const updated = await stack.admin('POST', '/key/update', { key: key.key, key_alias: 'second-name', metadata: { owner: 'b' }, budget_duration: '1d' });
    expect(updated.body).toMatchObject({ key_alias: 'second-name', metadata: { owner: 'b' }, budget_duration: '1d' });
    expect(Date.parse(updated.body.budget_reset_at) - Date.now()).toBeLessThan(86_400_001);
    await waitFor(
      async () => {
        const id = (await stack.chat(key.key)).headers.get('x-request-id');
        let alias: string | undefined;
        await waitFor(async () => {
          alias = (await stack.backends.sql.query<{ key_alias: string }>('SELECT key_alias FROM spend_logs WHERE request_id = $1', [id])).rows[0]?.key_alias;
          return alias !== undefined;
        }, { timeoutMs: 30_000, message: 'the request did not reach the ledger' });
        return alias === 'second-name';
      },
      { timeoutMs: 15_000, message: 'the ledger did not record the new alias' },
    );
  });

  test('budget_duration on a team gives it a reset time; /team/update changes it', async () => {
    const team = (await stack.admin('POST', '/team/new', { budget_duration: '30d' })).body;
    expect(Date.parse(team.budget_reset_at) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const updated = (await stack.admin('POST', '/team/update', { team_id: team.team_id, budget_duration: '1d' })).body;
    expect(Date.parse(updated.budget_reset_at) - Date.now()).toBeLessThan(86_400_001);
  });

  test('metadata and team_alias on a team are kept; /team/update changes them', async () => {
    const team = (await stack.admin('POST', '/team/new', { team_alias: 'Before', metadata: { cost_center: '42' } })).body;
    expect(team).toMatchObject({ team_alias: 'Before', metadata: { cost_center: '42' } });
    await stack.admin('POST', '/team/update', { team_id: team.team_id, team_alias: 'After', metadata: { cost_center: '43' } });
    expect((await stack.admin('GET', `/team/info?team_id=${team.team_id}`)).body.team_info).toMatchObject({ team_alias: 'After', metadata: { cost_center: '43' } });
  });

  test('tags changed by /team/update are recorded with the next request', async () => {
    const team = (await stack.admin('POST', '/team/new', { tags: ['before'] })).body;
    const key = (await stack.admin('POST', '/key/generate', { team_id: team.team_id })).body;
    expect((await stack.admin('POST', '/team/update', { team_id: team.team_id, tags: ['after'] })).body.tags).toEqual(['after']);
    await waitFor(
      async () => {
        const reply = await stack.chat(key.key);
        const id = reply.headers.get('x-request-id');
        let tags: string[] | undefined;
        await waitFor(async () => {
          tags = (await stack.backends.sql.query<{ tags: string[] }>('SELECT tags FROM spend_logs WHERE request_id = $1', [id])).rows[0]?.tags;
          return tags !== undefined;
        }, { timeoutMs: 30_000, message: 'the request did not reach the ledger' });
        return tags!.includes('after') && !tags!.includes('before');
      },
      { timeoutMs: 15_000, message: 'the new tags were not recorded' },
    );
  });
});

describe('refused fields', () => {
  const cases = ALL_ROUTES.flatMap((route) => refusedOn(route).map((entry) => [route, entry.field] as const));
  test.each(cases)('%s refuses %s by name', async (route, field) => {
    const identity: Record<Route, Record<string, unknown>> = {
      '/key/generate': {},
      '/key/update': { key: 'sk-any-key-at-all' },
      '/team/new': {},
      '/team/update': { team_id: 'any-team' },
    };
    const reply = await stack.admin('POST', route, { ...identity[route], [field]: null });
    expect(reply.status).toBe(400);
    expect(reply.body.error.param).toBe(field);
  });
});
