// Moving from LiteLLM: a database with LiteLLM's schema and rows is imported; its keys answer through a
// real stack with the budget they had left, a second run changes nothing, rows that cannot be mapped are
// reported by id; keys of any sk- format; and the finance guide's query over the LiteLLM-named views.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPgSql, type Sql } from '@sluice/common';
import { REPOSITORY_ROOT, TEST_POSTGRES_ADMIN_URL } from '@sluice/testing';
import { importLitellm } from '../services/policy/src/cli/import-litellm.js';
import { PRICE, type PolicyStack, RECORDED_USAGE, request, startPolicyStack } from './helpers/policy-stack.js';
import { waitFor } from './helpers/wait-for.js';

const CALL_COST = RECORDED_USAGE.prompt * PRICE.input + RECORDED_USAGE.completion * PRICE.output;
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

// LiteLLM's tables as its Prisma schema (schema.prisma) defines them, with the columns the importer
// reads: Prisma's names quoted, Float as double precision, DateTime as timestamp(3) in UTC.
const LITELLM_SCHEMA = `
CREATE TABLE "LiteLLM_BudgetTable" (
  budget_id text PRIMARY KEY, max_budget double precision, soft_budget double precision, max_parallel_requests integer,
  tpm_limit bigint, rpm_limit bigint, model_max_budget jsonb, budget_duration text, budget_reset_at timestamp(3),
  created_at timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, created_by text NOT NULL,
  updated_at timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, updated_by text NOT NULL);
CREATE TABLE "LiteLLM_OrganizationTable" (
  organization_id text PRIMARY KEY, organization_alias text NOT NULL, budget_id text NOT NULL REFERENCES "LiteLLM_BudgetTable",
  metadata jsonb NOT NULL DEFAULT '{}', models text[], spend double precision NOT NULL DEFAULT 0.0,
  created_by text NOT NULL, updated_by text NOT NULL);
CREATE TABLE "LiteLLM_TeamTable" (
  team_id text PRIMARY KEY, team_alias text, organization_id text REFERENCES "LiteLLM_OrganizationTable",
  admins text[], members text[], members_with_roles jsonb NOT NULL DEFAULT '{}', metadata jsonb NOT NULL DEFAULT '{}',
  max_budget double precision, soft_budget double precision, spend double precision NOT NULL DEFAULT 0.0, models text[],
  max_parallel_requests integer, tpm_limit bigint, rpm_limit bigint, budget_duration text, budget_reset_at timestamp(3),
  blocked boolean NOT NULL DEFAULT false, model_max_budget jsonb NOT NULL DEFAULT '{}');
CREATE TABLE "LiteLLM_UserTable" (
  user_id text PRIMARY KEY, user_alias text, team_id text, organization_id text, teams text[] NOT NULL DEFAULT '{}',
  user_role text, max_budget double precision, spend double precision NOT NULL DEFAULT 0.0, user_email text, models text[],
  metadata jsonb NOT NULL DEFAULT '{}', max_parallel_requests integer, tpm_limit bigint, rpm_limit bigint,
  budget_duration text, budget_reset_at timestamp(3), model_max_budget jsonb NOT NULL DEFAULT '{}');
CREATE TABLE "LiteLLM_VerificationToken" (
  token text PRIMARY KEY, key_name text, key_alias text, spend double precision NOT NULL DEFAULT 0.0, expires timestamp(3),
  models text[], aliases jsonb NOT NULL DEFAULT '{}', config jsonb NOT NULL DEFAULT '{}', router_settings jsonb DEFAULT '{}',
  user_id text, team_id text, permissions jsonb NOT NULL DEFAULT '{}', max_parallel_requests integer,
  metadata jsonb NOT NULL DEFAULT '{}', blocked boolean, tpm_limit bigint, rpm_limit bigint, max_budget double precision,
  budget_duration text, budget_reset_at timestamp(3), allowed_cache_controls text[] NOT NULL DEFAULT '{}',
  allowed_routes text[] NOT NULL DEFAULT '{}', model_max_budget jsonb NOT NULL DEFAULT '{}', budget_id text,
  organization_id text, object_permission_id text);
CREATE TABLE "LiteLLM_EndUserTable" (
  user_id text PRIMARY KEY, alias text, spend double precision NOT NULL DEFAULT 0.0, budget_id text, blocked boolean NOT NULL DEFAULT false);
CREATE TABLE "LiteLLM_TeamMembership" (
  user_id text NOT NULL, team_id text NOT NULL, spend double precision NOT NULL DEFAULT 0.0, budget_id text, PRIMARY KEY (user_id, team_id));
CREATE TABLE "LiteLLM_OrganizationMembership" (
  user_id text NOT NULL, organization_id text NOT NULL, user_role text, spend double precision DEFAULT 0.0, budget_id text,
  PRIMARY KEY (user_id, organization_id));
`;

// Keys as LiteLLM hands them out ("sk-" and 22 url-safe characters); LiteLLM stores only their SHA-256.
const KEY = 'sk-kdEXbIqZRwEeEiHwdg7sFA';
const SPENT_KEY = 'sk-Zq9x1mN0pLrT5vWc3bYhJd';
const ROUTES_KEY = 'sk-Routes0nlyKeyAbCdEfGh';
const ORPHAN_KEY = 'sk-OrphanKeyNoTeam1234567';

const LITELLM_ROWS = `
INSERT INTO "LiteLLM_BudgetTable" (budget_id, max_budget, soft_budget, rpm_limit, created_by, updated_by) VALUES
  ('org-budget', 50, 40, 1000, 'admin', 'admin'), ('tier-free', 3, NULL, NULL, 'admin', 'admin'), ('unused', 9, NULL, NULL, 'admin', 'admin');
INSERT INTO "LiteLLM_OrganizationTable" (organization_id, organization_alias, budget_id, models, spend, created_by, updated_by) VALUES
  ('org-acme', 'Acme', 'org-budget', '{}', 1.25, 'admin', 'admin');
INSERT INTO "LiteLLM_TeamTable" (team_id, team_alias, organization_id, admins, members, members_with_roles, max_budget, spend, models, budget_duration, budget_reset_at) VALUES
  ('team-eng', 'Engineering', 'org-acme', '{}', '{}', '[{"role": "admin", "user_id": "alice"}, {"role": "user", "user_id": "bob"}]', 100, 2.5, '{}', '30d', now() AT TIME ZONE 'UTC' + interval '10 days');
INSERT INTO "LiteLLM_UserTable" (user_id, user_alias, user_role, user_email, spend, models, teams) VALUES
  ('alice', 'Alice', 'proxy_admin', 'alice@example.com', 0.5, '{}', '{team-eng}'),
  ('bob', NULL, 'internal_user', 'bob@example.com', 0, '{}', '{team-eng}'),
  ('carol', NULL, 'org_admin', NULL, 0, '{}', '{}');
INSERT INTO "LiteLLM_OrganizationMembership" (user_id, organization_id, user_role) VALUES ('carol', 'org-acme', 'org_admin');
INSERT INTO "LiteLLM_TeamMembership" (user_id, team_id, spend, budget_id) VALUES ('bob', 'team-eng', 0.1, 'tier-free');
INSERT INTO "LiteLLM_VerificationToken" (token, key_name, key_alias, spend, models, user_id, team_id, max_budget, budget_duration, budget_reset_at, metadata, rpm_limit) VALUES
  ('${sha256(KEY)}', 'sk-...7sFA', 'eng-app', 0.4, '{}', 'alice', 'team-eng', 1, '30d', now() AT TIME ZONE 'UTC' + interval '5 days', '{"env": "prod"}', 600),
  ('${sha256(SPENT_KEY)}', 'sk-...hJd', 'spent-app', 0.5, '{}', 'bob', 'team-eng', 0.5, NULL, NULL, '{}', NULL);
INSERT INTO "LiteLLM_VerificationToken" (token, key_name, key_alias, spend, models, team_id, allowed_routes) VALUES
  ('${sha256(ROUTES_KEY)}', 'sk-...GfGh', 'routes-only', 0, '{}', 'team-eng', '{/key/info}');
INSERT INTO "LiteLLM_VerificationToken" (token, key_name, spend, models, team_id) VALUES
  ('${sha256(ORPHAN_KEY)}', 'sk-...4567', 0, '{}', 'team-gone'),
  ('not-a-hash', 'sk-...xxxx', 0, '{}', NULL);
INSERT INTO "LiteLLM_VerificationToken" (token, key_name, spend, models, budget_id) VALUES ('${sha256('sk-tiered-key-000000000')}', 'sk-...0000', 0.25, '{}', 'tier-free');
INSERT INTO "LiteLLM_EndUserTable" (user_id, alias, spend, budget_id) VALUES ('customer-42', 'Customer 42', 3.5, NULL);
`;

let stack: PolicyStack;
let source: Sql;
let sourceDatabase: string;

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  // A pepper on purpose: imported keys keep LiteLLM's plain SHA-256 and still have to be found.
  stack = await startPolicyStack('importlitellm', { env: { SLUICE_KEY_PEPPER: 'pepper-for-the-import-test' } });
  sourceDatabase = `litellm_source_${stack.backends.runId}`;
  await adminQuery(`CREATE DATABASE ${sourceDatabase}`);
  const url = new URL(TEST_POSTGRES_ADMIN_URL);
  url.pathname = `/${sourceDatabase}`;
  source = createPgSql({ url: url.toString(), maxConnections: 2 });
  await source.query(LITELLM_SCHEMA);
  await source.query(LITELLM_ROWS);
}, 120_000);

afterAll(async () => {
  await source?.close();
  if (sourceDatabase) await adminQuery(`DROP DATABASE IF EXISTS ${sourceDatabase} WITH (FORCE)`);
  await stack?.stop();
});

async function versions(): Promise<string> {
  const result = await stack.backends.sql.query<{ state: string }>(`
    SELECT concat_ws('/', (SELECT count(*) || ':' || COALESCE(max(version), 0) FROM api_keys), (SELECT count(*) || ':' || COALESCE(max(version), 0) FROM teams),
      (SELECT count(*) || ':' || COALESCE(max(version), 0) FROM users), (SELECT count(*) || ':' || COALESCE(max(version), 0) FROM organizations),
      (SELECT count(*) || ':' || COALESCE(max(version), 0) FROM end_users),
      (SELECT count(*) FROM team_members), (SELECT string_agg(role, ',' ORDER BY user_id) FROM team_members)) AS state`);
  return result.rows[0]!.state;
}

const keyInfo = async (key: string) => (await stack.admin('GET', `/key/info?key=${encodeURIComponent(key)}`)).body;

describe('npm run import-litellm', () => {
  test('--dry-run prints the table through the CLI and writes nothing', async () => {
    const before = await versions();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [resolve(REPOSITORY_ROOT, 'services/policy/dist/cli/import-litellm-main.js'), '--from', source ? sourceUrl() : '', '--dry-run'],
      { env: { ...process.env, DATABASE_URL: stack.backends.databaseUrl, LOG_LEVEL: 'warn' } },
    );
    expect(stdout).toMatch(/^kind\s+id\s+action\s+spend_usd\s+note/);
    expect(stdout).toMatch(new RegExp(`key\\s+${sha256(KEY)}\\s+create\\s+0\\.400000`));
    expect(stdout).toContain('(dry run: nothing written)');
    expect(await versions()).toBe(before);
  });

  test('imports every mappable row, reports the others by id, and a second run changes nothing', async () => {
    const { plan } = await importLitellm(source, stack.backends.sql, false);
    const action = (kind: string, id: string) => plan.actions.find((candidate) => candidate.kind === kind && candidate.id === id);
    expect(action('organization', 'org-acme')).toMatchObject({ action: 'create', spend: 1.25 });
    expect(action('team', 'team-eng')).toMatchObject({ action: 'create', spend: 2.5 });
    expect(action('user', 'carol')).toMatchObject({ action: 'create', note: 'user_role "org_admin" imported as internal_user' });
    expect(action('key', sha256(KEY))).toMatchObject({ action: 'create', spend: 0.4 });
    expect(action('key', sha256(ROUTES_KEY))).toMatchObject({ action: 'create' });
    expect(action('key', sha256(ORPHAN_KEY))).toMatchObject({ action: 'skipped', note: 'its team "team-gone" is not imported' });
    expect(action('key', 'not-a-hash')).toMatchObject({ action: 'skipped', note: 'token is not a SHA-256 hex hash' });
    expect(action('end_user', 'customer-42')).toMatchObject({ action: 'create', spend: 3.5 });
    expect(action('budget', 'unused')).toMatchObject({ action: 'skipped' });
    expect(action('budget', 'org-budget')).toMatchObject({ action: 'merged' });
    expect(action('team_member', 'team-eng/bob')?.action).toBe('skipped'); // its per-member budget
    expect(plan.actions.filter((candidate) => candidate.kind === 'team_member' && candidate.action === 'create').map((m) => m.id).sort()).toEqual([
      'team-eng/alice',
      'team-eng/bob',
    ]);

    const organization = (await stack.admin('GET', '/organization/info?organization_id=org-acme')).body;
    expect(organization).toMatchObject({ organization_alias: 'Acme', max_budget: 50, soft_budget: 40, rpm_limit: 1000 });
    const team = (await stack.admin('GET', '/team/info?team_id=team-eng')).body;
    expect(JSON.stringify(team)).toContain('Engineering');
    const carol = (await stack.admin('GET', '/user/info?user_id=carol')).body;
    expect(JSON.stringify(carol)).toContain('org-acme');
    // End users come across with their spend, as /customer/info shows it.
    const customer = (await stack.admin('GET', '/customer/info?end_user_id=customer-42')).body;
    expect(customer).toMatchObject({ user_id: 'customer-42', alias: 'Customer 42', spend: 3.5 });
    // A key with only a budget_id takes that budget's limits.
    expect((await keyInfo(sha256('sk-tiered-key-000000000'))).info).toMatchObject({ max_budget: 3, spend: 0.25 });

    const before = await versions();
    const again = await importLitellm(source, stack.backends.sql, false);
    expect(again.plan.entities).toEqual([]);
    expect(again.plan.members).toEqual([]);
    expect(again.plan.actions.filter((candidate) => candidate.action === 'create' || candidate.action === 'update')).toEqual([]);
    expect(await versions()).toBe(before);
  });

  test('an imported key answers with the budget it had left, and budgets continue where they were', async () => {
    const info = (await keyInfo(KEY)).info;
    expect(info).toMatchObject({ token: sha256(KEY), key_alias: 'eng-app', max_budget: 1, spend: 0.4, rpm_limit: 600, team_id: 'team-eng', metadata: { env: 'prod' } });

    const reply = await stack.chat(KEY);
    expect(reply.status).toBe(200);
    expect(reply.body.choices[0].message.content).toBeTruthy();
    // LiteLLM's own header works as well.
    const viaHeader = await request(`${stack.edges[0]}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'x-litellm-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(viaHeader.status).toBe(200);
    await waitFor(async () => (await keyInfo(KEY)).info.spend_micros === 400_000 + 2 * CALL_COST, { timeoutMs: 30_000, message: 'spend did not settle' });

    // 0.5 of 0.5 spent under LiteLLM: refused on its first request here.
    const spent = await stack.chat(SPENT_KEY, { max_tokens: 10 });
    expect(spent.status).toBe(400);
    expect(spent.body.error.code).toBe('budget_exceeded');
    // Imported allowed_routes hold: this key may only read its own /key/info.
    const routes = await stack.chat(ROUTES_KEY);
    expect(routes.status).toBe(403);
    expect(routes.body.error.code).toBe('route_not_allowed');
    expect((await stack.admin('GET', '/key/info', undefined, ROUTES_KEY)).status).toBe(200);
    // A row that was not imported is no key.
    expect((await stack.chat(ORPHAN_KEY)).status).toBe(401);
  });
});

function sourceUrl(): string {
  const url = new URL(TEST_POSTGRES_ADMIN_URL);
  url.pathname = `/${sourceDatabase}`;
  return url.toString();
}

describe('keys of any format', () => {
  test('/key/generate takes a chosen sk- key; it answers, and wrong shapes are refused by name', async () => {
    const chosen = await stack.admin('POST', '/key/generate', { key: 'sk-my-own-chosen-key-1', key_alias: 'chosen' });
    expect(chosen.status).toBe(200);
    expect(chosen.body).toMatchObject({ key: 'sk-my-own-chosen-key-1', key_name: 'sk-...ey-1' });
    expect((await stack.chat('sk-my-own-chosen-key-1')).status).toBe(200);

    const notSk = await stack.admin('POST', '/key/generate', { key: 'my-key' });
    expect(notSk.status).toBe(400);
    expect(notSk.body.error.param).toBe('key');
    // Sluice's own shape with a wrong checksum would be refused before lookup on every request.
    const badChecksum = await stack.admin('POST', '/key/generate', { key: `sk-${'A'.repeat(30)}` });
    expect(badChecksum.status).toBe(400);
    expect(badChecksum.body.error.param).toBe('key');
    // An unknown key of another format is looked up, and not found.
    expect((await stack.chat('sk-never-issued-anywhere')).status).toBe(401);
  });
});

describe('LiteLLM-named views for finance', () => {
  test("the deployment guide's daily team spend query runs unchanged, as the read-only role", async () => {
    await waitFor(async () => Number((await stack.backends.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM spend_logs WHERE team_id = 'team-eng'`)).rows[0]!.n) === 2, {
      timeoutMs: 30_000,
      message: 'the two requests of team-eng did not reach the ledger',
    });
    const client = new pg.Client({ connectionString: stack.backends.databaseUrl });
    await client.connect();
    try {
      await client.query('SET ROLE sluice_finance');
      const result = await client.query(`SELECT team_alias, date_trunc('day', created_at) AS day, SUM(spend) AS daily_spend_usd, COUNT(*) AS requests
FROM "LiteLLM_SpendLogs" s JOIN "LiteLLM_TeamTable" t ON t.team_id = s.team_id
WHERE created_at >= NOW() - INTERVAL '30 days' GROUP BY 1, 2 ORDER BY 2 DESC, 3 DESC;`);
      expect(result.rows).toHaveLength(1);
      expect(result.rows[0]).toMatchObject({ team_alias: 'Engineering', requests: '2' });
      expect(Number(result.rows[0].daily_spend_usd)).toBeCloseTo((2 * CALL_COST) / 1_000_000, 9);

      const logs = await client.query(`SELECT api_key, spend, prompt_tokens, completion_tokens, total_tokens, "startTime", "endTime", model_group, custom_llm_provider,
        "user", team_id, status, cache_hit, request_tags, created_at = "startTime" AS created_is_start FROM "LiteLLM_SpendLogs"`);
      const imported = logs.rows.filter((row) => row.api_key === sha256(KEY));
      expect(imported).toHaveLength(2);
      expect(imported[0]).toMatchObject({ model_group: 'gpt-test', user: 'alice', team_id: 'team-eng', status: 'success', cache_hit: 'False', created_is_start: true });

      const tokens = await client.query(`SELECT * FROM "LiteLLM_VerificationToken" WHERE key_alias = 'eng-app'`);
      expect(tokens.rows[0].token).toBe(sha256(KEY));
      expect(Object.keys(tokens.rows[0])).not.toContain('key');
      expect(Number(tokens.rows[0].spend)).toBeCloseTo(0.4 + (2 * CALL_COST) / 1_000_000, 9);
      for (const view of ['LiteLLM_UserTable', 'LiteLLM_OrganizationTable', 'LiteLLM_DailyUserSpend', 'LiteLLM_DailyTeamSpend', 'LiteLLM_DailyTagSpend']) {
        await client.query(`SELECT * FROM "${view}"`);
      }
      const daily = await client.query(`SELECT team_id, sum(api_requests)::int AS requests FROM "LiteLLM_DailyTeamSpend" WHERE team_id = 'team-eng' GROUP BY 1`);
      expect(daily.rows[0]).toMatchObject({ team_id: 'team-eng', requests: 2 });
      // The views' own filter (team or user and date) is an index range scan, not a read of all of spend_daily
      // (the planner would pick a sequential scan on this small table anyway, so that one is turned off).
      for (const [view, owner, index] of [
        ['LiteLLM_DailyTeamSpend', 'team_id', 'spend_daily_litellm_team_date'],
        ['LiteLLM_DailyUserSpend', 'user_id', 'spend_daily_litellm_user_date'],
      ]) {
        await client.query('BEGIN');
        await client.query('SET LOCAL enable_seqscan = off');
        const plan = await client.query(`EXPLAIN SELECT date, sum(spend) FROM "${view}" WHERE ${owner} = 'x' AND date >= '2026-01-01' GROUP BY date`);
        await client.query('ROLLBACK');
        const text = plan.rows.map((row) => row['QUERY PLAN']).join('\n');
        expect(text, view).toContain(index);
        expect(text, view).toMatch(/Index Cond: .*sluice_iso_day\(day\) >= /);
      }
      // Read-only, and only the views.
      await expect(client.query('SELECT token FROM api_keys')).rejects.toThrow(/permission denied/);
      await expect(client.query(`DELETE FROM "LiteLLM_SpendLogs"`)).rejects.toThrow(/permission denied/);
    } finally {
      await client.end();
    }
  });
});

describe("LiteLLM's /key/generate, /key/update and /team/new fields", () => {
  const generate = async (body: Record<string, unknown>) => {
    const reply = await stack.admin('POST', '/key/generate', body);
    expect(reply.status).toBe(200);
    return reply.body;
  };

  test('key_type llm_api: LLM routes only; management: admin routes only; read_only: reads only', async () => {
    await stack.admin('POST', '/user/new', { user_id: 'ops-admin', user_role: 'proxy_admin', auto_create_key: false });
    const llm = await generate({ key_type: 'llm_api', user_id: 'ops-admin' });
    expect(llm).toMatchObject({ key_type: 'llm_api', allowed_routes: ['llm_api_routes'] });
    expect((await stack.chat(llm.key)).status).toBe(200);
    const refused = await stack.admin('GET', '/key/list', undefined, llm.key);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('route_not_allowed');

    const management = await generate({ key_type: 'management', user_id: 'ops-admin' });
    expect((await stack.admin('GET', '/key/list', undefined, management.key)).status).toBe(200);
    expect((await stack.chat(management.key)).body.error.code).toBe('route_not_allowed');

    const readOnly = await generate({ key_type: 'read_only', user_id: 'ops-admin' });
    expect((await stack.admin('GET', '/key/list', undefined, readOnly.key)).status).toBe(200);
    expect((await stack.admin('POST', '/key/generate', {}, readOnly.key)).body.error.code).toBe('route_not_allowed');
  });

  test('allowed_routes limits the routes; /key/update changes them', async () => {
    const key = await generate({ allowed_routes: ['/v1/embeddings'] });
    expect((await stack.chat(key.key)).status).toBe(403);
    const updated = await stack.admin('POST', '/key/update', { key: key.key, allowed_routes: ['/chat/completions'] });
    expect(updated.body.allowed_routes).toEqual(['/chat/completions']);
    await waitFor(async () => (await stack.chat(key.key)).status === 200, { timeoutMs: 10_000, message: 'the update did not reach policy' });
  });

  test("enforced_params ['user']: a request without `user` is refused by name", async () => {
    const key = await generate({ enforced_params: ['user'] });
    const refused = await stack.chat(key.key);
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain("'user'");
    expect((await stack.chat(key.key, { user: 'customer-1' })).status).toBe(200);
    const other = await stack.admin('POST', '/key/generate', { enforced_params: ['metadata.generation_name'] });
    expect(other.status).toBe(400);
    expect(other.body.error.param).toContain('enforced_params');
  });

  test('metadata is kept and send_invite_email is accepted, as LiteLLM does', async () => {
    const key = await generate({ metadata: { owner: 'data-team' }, send_invite_email: true });
    expect(key.metadata).toEqual({ owner: 'data-team' });
  });

  test("tags on a key, its team and the request are all recorded in the ledger", async () => {
    const team = await stack.admin('POST', '/team/new', { team_alias: 'Tagged', tags: ['eng'] });
    expect(team.body.tags).toEqual(['eng']);
    const key = await generate({ team_id: team.body.team_id, tags: ['billing'], metadata: { owner: 'x' } });
    expect(key).toMatchObject({ tags: ['billing'], metadata: { owner: 'x', tags: ['billing'] } });
    expect((await stack.chat(key.key, { metadata: { tags: ['request-tag'] } })).status).toBe(200);
    const tags = async () =>
      (await stack.backends.sql.query<{ tags: string[] }>('SELECT tags FROM spend_logs WHERE key_hash = $1', [key.token_id])).rows[0]?.tags;
    await waitFor(async () => (await tags()) !== undefined, { timeoutMs: 30_000, message: 'the request did not reach the ledger' });
    expect([...(await tags())!].sort()).toEqual(['billing', 'eng', 'request-tag']);
    const daily = await stack.backends.sql.query<{ tag: string; api_requests: string }>(
      `SELECT tag, api_requests FROM "LiteLLM_DailyTagSpend" WHERE api_key = $1 ORDER BY tag`,
      [key.token_id],
    );
    expect(daily.rows.map((row) => [row.tag, Number(row.api_requests)])).toEqual([['billing', 1], ['eng', 1], ['request-tag', 1]]);
    // tags: null clears them and leaves the rest of metadata.
    const cleared = await stack.admin('POST', '/key/update', { key: key.key, tags: null });
    expect(cleared.body).toMatchObject({ tags: [], metadata: { owner: 'x' } });
  });
  // Every other field of LiteLLM's requests, honoured or refused by name: test/litellm-admin-fields.test.ts.
});

describe("LiteLLM's member and reset routes", () => {
  test('/key/{key}/reset_spend starts the key from zero on every replica; reset_to above 0 is refused by name', async () => {
    const key = (await stack.admin('POST', '/key/generate', { max_budget: 0.06 })).body;
    expect((await stack.chat(key.key, { max_tokens: 400 })).status).toBe(200);
    await waitFor(async () => (await keyInfo(key.key)).info.spend_micros === CALL_COST, { timeoutMs: 30_000, message: 'spend did not settle' });
    // $0.036 of $0.06 spent: the next call's worst case ($0.040) does not fit.
    expect((await stack.chat(key.key, { max_tokens: 400 })).body.error.code).toBe('budget_exceeded');
    const refused = await stack.admin('POST', `/key/${key.token_id}/reset_spend`, { reset_to: 0.01 });
    expect(refused.status).toBe(400);
    expect(refused.body.error.param).toBe('reset_to');
    const reset = await stack.admin('POST', `/key/${key.token_id}/reset_spend`, { reset_to: 0 });
    expect(reset.status).toBe(200);
    expect((await keyInfo(key.key)).info.spend_micros).toBe(0);
    expect((await stack.chat(key.key, { max_tokens: 400 })).status).toBe(200);
  });

  test('/team/member_update changes a role; /organization/member_add|update|delete move users in and out', async () => {
    const team = (await stack.admin('POST', '/team/new', { team_alias: 'Members', members_with_roles: [{ user_id: 'dana', role: 'user' }] })).body;
    const updated = await stack.admin('POST', '/team/member_update', { team_id: team.team_id, user_id: 'dana', role: 'admin' });
    expect(updated.status).toBe(200);
    expect(updated.body.members_with_roles).toEqual([expect.objectContaining({ user_id: 'dana', role: 'admin' })]);
    expect((await stack.admin('POST', '/team/member_update', { team_id: team.team_id, user_id: 'nobody', role: 'user' })).status).toBe(404);

    const organization = (await stack.admin('POST', '/organization/new', { organization_alias: 'Members Org' })).body;
    const added = await stack.admin('POST', '/organization/member_add', { organization_id: organization.organization_id, member: [{ user_id: 'dana', role: 'internal_user' }] });
    expect(added.status).toBe(200);
    expect((await stack.admin('GET', '/user/info?user_id=dana')).body.user_info.organization_id).toBe(organization.organization_id);
    expect((await stack.admin('POST', '/organization/member_update', { organization_id: organization.organization_id, user_id: 'dana', role: 'internal_user_viewer' })).status).toBe(200);
    const orgAdmin = await stack.admin('POST', '/organization/member_add', { organization_id: organization.organization_id, member: { user_id: 'erin', role: 'org_admin' } });
    expect(orgAdmin.status).toBe(400);
    expect(orgAdmin.body.error.param).toContain('member');
    expect((await stack.admin('POST', '/organization/member_delete', { organization_id: organization.organization_id, user_id: 'dana' })).status).toBe(200);
    const after = (await stack.admin('GET', '/user/info?user_id=dana')).body;
    expect(after.user_info.organization_id).toBeNull();
  });
});
