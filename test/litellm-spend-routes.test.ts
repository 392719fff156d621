// LiteLLM's spend breakdowns (/spend/tags, /global/spend/{teams,tags,end_users,provider,logs}) after real
// requests through the gateway: each equals a direct sum over spend_logs to the nano-dollar, in LiteLLM's
// shapes, admin only (or a key with permissions.get_spend_routes); and the daily aggregates they read
// equal the log.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type PolicyStack, startPolicyStack } from './helpers/policy-stack.js';
import { waitFor } from './helpers/wait-for.js';

let stack: PolicyStack;
let alphaKey: { key: string; token_id: string };
let loneKey: { key: string; token_id: string };
const today = new Date().toISOString().slice(0, 10);
const REQUESTS = 4;

const nanos = async (where: string, params: unknown[] = []) =>
  Number((await stack.backends.sql.query<{ n: string }>(`SELECT COALESCE(sum(cost_nanos), 0)::bigint AS n FROM spend_logs WHERE ${where}`, params)).rows[0]!.n);

beforeAll(async () => {
  stack = await startPolicyStack('spendroutes');
  const team = (await stack.admin('POST', '/team/new', { team_alias: 'Alpha', tags: ['team-tag'] })).body;
  const unnamed = (await stack.admin('POST', '/team/new', { team_id: 'team-without-alias' })).body;
  alphaKey = (await stack.admin('POST', '/key/generate', { team_id: team.team_id, tags: ['key-tag'] })).body;
  const unnamedKey = (await stack.admin('POST', '/key/generate', { team_id: unnamed.team_id })).body;
  loneKey = (await stack.admin('POST', '/key/generate', {})).body;
  const replies = await Promise.all([
    stack.chat(alphaKey.key, { user: 'customer-1', metadata: { tags: ['request-tag'] } }),
    stack.chat(alphaKey.key, { user: 'customer-2' }),
    stack.chat(unnamedKey.key, { user: 'customer-1' }),
    stack.chat(loneKey.key),
  ]);
  expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200, 200]);
  await waitFor(async () => Number((await stack.backends.sql.query<{ n: string }>('SELECT count(*) AS n FROM spend_logs')).rows[0]!.n) === REQUESTS, {
    timeoutMs: 30_000,
    message: 'the requests did not reach the ledger',
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const get = async (path: string, key?: string) => stack.admin('GET', path, undefined, key);

describe("LiteLLM's spend breakdowns", () => {
  test('/spend/tags: per request tag, its requests and spend, exact; dates optional', async () => {
    const reply = await get('/spend/tags');
    expect(reply.status).toBe(200);
    const byTag = Object.fromEntries(reply.body.map((row: { individual_request_tag: string }) => [row.individual_request_tag, row]));
    expect(Object.keys(byTag).sort()).toEqual(['key-tag', 'request-tag', 'team-tag']);
    for (const tag of ['key-tag', 'request-tag', 'team-tag']) {
      const expected = await nanos('$1 = ANY(tags)', [tag]);
      expect(byTag[tag]).toEqual({
        individual_request_tag: tag,
        log_count: tag === 'request-tag' ? 1 : 2,
        total_spend: expected / 1e9,
        total_spend_nanos: expected,
      });
    }
    expect((await get(`/spend/tags?start_date=${today}&end_date=${today}`)).body).toEqual(reply.body);
    expect((await get('/spend/tags?start_date=2020-01-01&end_date=2020-01-02')).body).toEqual([]);
    const bad = await get('/spend/tags?start_date=yesterday&end_date=2020-01-02');
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe('start_date');
  });

  test('/global/spend/tags: {spend_per_tag: [{name, spend, log_count}]}, filtered by a comma-separated tags list', async () => {
    const all = await get('/global/spend/tags');
    expect(all.status).toBe(200);
    expect(all.body.spend_per_tag.map((row: { name: string }) => row.name).sort()).toEqual(['key-tag', 'request-tag', 'team-tag']);
    const some = await get(`/global/spend/tags?start_date=${today}&end_date=${today}&tags=request-tag,nope`);
    const requestTag = await nanos("'request-tag' = ANY(tags)");
    expect(some.body).toEqual({ spend_per_tag: [{ name: 'request-tag', spend: requestTag / 1e9, spend_nanos: requestTag, log_count: 1 }] });
    expect((await get('/global/spend/tags?tags=all-tags')).body).toEqual(all.body);
  });

  test('/global/spend/teams: daily spend per team alias (id without one, Unassigned without a team) and the totals', async () => {
    const reply = await get('/global/spend/teams');
    expect(reply.status).toBe(200);
    const alpha = await nanos('key_hash = $1', [alphaKey.token_id]);
    const unnamed = await nanos("team_id = 'team-without-alias'");
    const lone = await nanos('key_hash = $1', [loneKey.token_id]);
    expect(reply.body.daily_spend).toEqual([{ date: today, Alpha: alpha / 1e9, 'team-without-alias': unnamed / 1e9, Unassigned: lone / 1e9 }]);
    expect([...reply.body.teams].sort()).toEqual(['Alpha', 'Unassigned', 'team-without-alias']);
    expect(reply.body.total_spend_per_team).toEqual(
      [
        { team_id: 'Alpha', total_spend: alpha / 1e9, total_spend_nanos: alpha },
        { team_id: 'Unassigned', total_spend: lone / 1e9, total_spend_nanos: lone },
        { team_id: 'team-without-alias', total_spend: unnamed / 1e9, total_spend_nanos: unnamed },
      ].sort((a, b) => b.total_spend_nanos - a.total_spend_nanos || a.team_id.localeCompare(b.team_id)),
    );
  });

  test('POST /global/spend/end_users: per end user, its requests and spend; by key; bad input by name', async () => {
    const reply = await stack.admin('POST', '/global/spend/end_users', {});
    expect(reply.status).toBe(200);
    const expected = await stack.backends.sql.query<{ end_user: string; n: string; spend: string }>(
      `SELECT end_user, count(*) AS n, sum(cost_nanos)::bigint AS spend FROM spend_logs GROUP BY 1 ORDER BY 3 DESC, 1`,
    );
    expect(reply.body).toEqual(
      expected.rows.map((row) => ({
        end_user: row.end_user === '' ? null : row.end_user,
        total_count: Number(row.n),
        total_spend: Number(row.spend) / 1e9,
        total_spend_nanos: Number(row.spend),
      })),
    );
    const byKey = await stack.admin('POST', '/global/spend/end_users', { api_key: alphaKey.key, startTime: today, endTime: `${today}T23:59:59Z` });
    expect(byKey.body.map((row: { end_user: string }) => row.end_user).sort()).toEqual(['customer-1', 'customer-2']);
    // LiteLLM's endTime is exclusive: today's first instant leaves today out.
    expect((await stack.admin('POST', '/global/spend/end_users', { startTime: today, endTime: today })).status).toBe(400);
    const unknown = await stack.admin('POST', '/global/spend/end_users', { customer: 'x' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.param).toBe('customer');
    expect((await stack.admin('POST', '/global/spend/end_users', { startTime: 'soon' })).body.error.param).toBe('startTime');
  });

  test('/global/spend/provider needs both dates and splits spend by provider; /global/spend/logs per day', async () => {
    const missing = await get('/global/spend/provider');
    expect(missing.status).toBe(400);
    const reply = await get(`/global/spend/provider?start_date=${today}&end_date=${today}`);
    const total = await nanos('true');
    expect(reply.body).toEqual([{ provider: 'openai', spend: total / 1e9, spend_nanos: total }]);

    expect((await get('/global/spend/logs')).body).toEqual([{ date: today, spend: total / 1e9, spend_nanos: total }]);
    const lone = await nanos('key_hash = $1', [loneKey.token_id]);
    expect((await get(`/global/spend/logs?api_key=${loneKey.key}`)).body).toEqual([{ date: today, spend: lone / 1e9, spend_nanos: lone, api_key: loneKey.token_id }]);
  });

  test('/global/spend/all_tag_names and /global/all_end_users list what the ledger has seen', async () => {
    expect((await get('/global/spend/all_tag_names')).body).toEqual({ tag_names: ['key-tag', 'request-tag', 'team-tag'] });
    expect((await get('/global/all_end_users')).body).toEqual({ end_users: [null, 'customer-1', 'customer-2'] });
  });

  test('a key that is not an admin is refused every spend route', async () => {
    const paths = ['/spend/tags', '/global/spend/teams', '/global/spend/tags', `/global/spend/provider?start_date=${today}&end_date=${today}`, '/global/spend/logs'];
    for (const path of [...paths, '/global/spend/all_tag_names', '/global/all_end_users']) {
      const reply = await get(path, loneKey.key);
      expect(reply.status, path).toBe(403);
      expect(reply.body.error.code).toBe('admin_only');
    }
    expect((await stack.admin('POST', '/global/spend/end_users', {}, loneKey.key)).status).toBe(403);
  });

  test('the aggregates these routes read equal spend_logs for every tag, end user and key', async () => {
    const tags = await stack.backends.sql.query(
      `SELECT a.*, b.* FROM
         (SELECT tag, sum(spend_nanos)::bigint AS aggregate, sum(requests)::bigint AS aggregate_requests, sum(cached_tokens)::bigint AS aggregate_cached,
            sum(successes)::bigint AS aggregate_successes, sum(failures)::bigint AS aggregate_failures FROM spend_daily_tags GROUP BY tag) a
       FULL JOIN (SELECT tag AS log_tag, sum(cost_nanos)::bigint AS logged, count(*)::bigint AS logged_requests, sum(cached_tokens)::bigint AS logged_cached,
            count(*) FILTER (WHERE status = 'success')::bigint AS logged_successes, count(*) FILTER (WHERE status <> 'success')::bigint AS logged_failures
          FROM spend_logs, unnest(CASE WHEN cardinality(tags) = 0 THEN ARRAY[''] ELSE tags END) AS tag GROUP BY tag) b
       ON a.tag = b.log_tag
       WHERE (a.aggregate, a.aggregate_requests, a.aggregate_cached, a.aggregate_successes, a.aggregate_failures)
         IS DISTINCT FROM (b.logged, b.logged_requests, b.logged_cached, b.logged_successes, b.logged_failures)`,
    );
    expect(tags.rows).toEqual([]);
    const endUsers = await stack.backends.sql.query(
      `SELECT * FROM (SELECT end_user, key_hash, sum(spend_nanos)::bigint AS s, sum(requests)::bigint AS n FROM spend_daily_end_users GROUP BY 1, 2) a
       FULL JOIN (SELECT end_user AS e, key_hash AS k, sum(cost_nanos)::bigint AS s2, count(*)::bigint AS n2 FROM spend_logs GROUP BY 1, 2) b
       ON a.end_user = b.e AND a.key_hash = b.k
       WHERE a.s IS DISTINCT FROM b.s2 OR a.n IS DISTINCT FROM b.n2`,
    );
    expect(endUsers.rows).toEqual([]);
  });
});

describe("LiteLLM's key permissions", () => {
  test('get_spend_routes: true lets a key that is not an admin read the spend routes, and nothing else', async () => {
    const created = await stack.admin('POST', '/key/generate', { permissions: { get_spend_routes: true } });
    expect(created.status).toBe(200);
    expect(created.body.permissions).toEqual({ get_spend_routes: true });
    const reader = created.body.key as string;
    expect((await get('/spend/tags', reader)).status).toBe(200);
    expect((await get('/global/spend/teams', reader)).body.teams).toContain('Alpha');
    expect((await stack.admin('POST', '/global/spend/end_users', {}, reader)).status).toBe(200);
    const admin = await get('/key/list', reader);
    expect(admin.status).toBe(403);
    expect(admin.body.error.code).toBe('admin_only');
    expect((await stack.chat(reader)).status).toBe(200);
    // The finance view of keys shows them as LiteLLM's table does.
    const row = await stack.backends.sql.query<{ permissions: unknown }>('SELECT permissions FROM "LiteLLM_VerificationToken" WHERE token = $1', [created.body.token_id]);
    expect(row.rows[0]!.permissions).toEqual({ get_spend_routes: true });
  });

  test('get_spend_routes: false (or none) keeps them admin only; /key/update grants it live', async () => {
    const key = (await stack.admin('POST', '/key/generate', { permissions: { get_spend_routes: false } })).body;
    expect((await get('/global/spend/tags', key.key)).status).toBe(403);
    const updated = await stack.admin('POST', '/key/update', { key: key.key, permissions: { get_spend_routes: true } });
    expect(updated.body.permissions).toEqual({ get_spend_routes: true });
    await waitFor(async () => (await get('/global/spend/tags', key.key)).status === 200, { timeoutMs: 15_000, message: 'the permission did not reach policy' });
    expect((await stack.admin('GET', `/key/info?key=${encodeURIComponent(key.key)}`)).body.info.permissions).toEqual({ get_spend_routes: true });
    await stack.admin('POST', '/key/update', { key: key.key, permissions: null });
    await waitFor(async () => (await get('/global/spend/tags', key.key)).status === 403, { timeoutMs: 15_000, message: 'the permission was not taken back' });
  });

  test('a permission Sluice does not implement is refused by name', async () => {
    for (const permission of ['enable_llm_guard_check', 'allow_pii_controls']) {
      const reply = await stack.admin('POST', '/key/generate', { permissions: { [permission]: true } });
      expect(reply.status).toBe(400);
      expect(reply.body.error.param).toBe(`permissions.${permission}`);
    }
    expect((await stack.admin('POST', '/key/generate', { permissions: { get_spend_routes: 'yes' } })).status).toBe(400);
  });
});
