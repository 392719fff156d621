// The spend routes (edge → accounting) and the usage report CLI give the same totals as a direct SQL sum
// over spend_logs, to the nano-dollar.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestBackends, REPOSITORY_ROOT, type Stack, startStack, type TestBackends, writeConfigFile } from '@sluice/testing';
import type { UsageBus } from '@sluice/common';
import { ledgerTotals } from './helpers/ledger-checks.js';
import { connectTestBus, publishAll, usageEvent } from './helpers/usage-events.js';
import { waitFor } from './helpers/wait-for.js';

const MASTER_KEY = 'sk-spend-master';
const TOTAL = 2_000;
const FROM = '2026-11-18';
const TO = '2026-11-21';
let backends: TestBackends;
let bus: UsageBus;
let stack: Stack;

beforeAll(async () => {
  backends = await createTestBackends('spendapi');
  const config = writeConfigFile({
    model_list: [{ model_name: 'gpt-small', litellm_params: { model: 'openai/gpt-4.1-nano', api_base: 'http://127.0.0.1:9/v1', api_key: 'sk-up' } }],
    general_settings: { master_key: MASTER_KEY },
  });
  stack = await startStack({ ...backends.env, SLUICE_CONFIG: config, SLUICE_LEDGER_BATCH_WAIT_MS: '100' });
  bus = await connectTestBus(backends.env);
  await publishAll(bus, Array.from({ length: TOTAL }, (_, index) => usageEvent(index)));
  await waitFor(async () => (await ledgerTotals(backends.sql)).rows === TOTAL, { timeoutMs: 60_000 });
});

afterAll(async () => {
  await bus?.close();
  await stack?.stop();
  await backends?.cleanup();
});

async function get<T>(path: string, key = MASTER_KEY): Promise<{ status: number; body: T }> {
  const response = await fetch(`${stack.edgeUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: response.status, body: (await response.json()) as T };
}

/** Direct SQL over spend_logs: micro-USD per day and group. */
async function sqlSums(column: string): Promise<Map<string, number>> {
  const result = await backends.sql.query<{ day: string; id: string; micros: number }>(
    `SELECT to_char(start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, ${column} AS id, sum(cost_micros)::bigint AS micros
     FROM spend_logs WHERE start_time >= $1 AND start_time < $2 GROUP BY 1, 2`,
    [`${FROM}T00:00:00Z`, '2026-11-22T00:00:00Z'],
  );
  return new Map(result.rows.map((row) => [`${row.day}|${row.id}`, row.micros]));
}

describe('spend routes', () => {
  test('/global/spend/report per day equals SQL for every grouping', async () => {
    const groupings = [
      ['team', 'teams', 'team_id', 'team_id'],
      ['api_key', 'keys', 'api_key', 'key_hash'],
      ['user', 'users', 'user_id', 'user_id'],
      ['model', 'models', 'model', 'model_group'],
      ['provider', 'providers', 'provider', 'provider'],
    ] as const;
    for (const [groupBy, list, field, column] of groupings) {
      const { status, body } = await get<Array<Record<string, unknown>>>(`/global/spend/report?start_date=${FROM}&end_date=${TO}&group_by=${groupBy}`);
      expect(status).toBe(200);
      expect(body.map((day) => day.group_by_day)).toEqual(['2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21'].map((day) => `${day}T00:00:00+00:00`));
      const reported = new Map<string, number>();
      for (const day of body) {
        for (const group of day[list] as Array<Record<string, unknown>>) {
          const micros = group.total_spend_micros as number;
          expect(group.total_spend).toBeCloseTo(micros / 1e6, 9);
          const split = (group.metadata as Array<{ spend_micros: number }>).reduce((sum, entry) => sum + entry.spend_micros, 0);
          expect(split).toBe(micros);
          reported.set(`${(day.group_by_day as string).slice(0, 10)}|${group[field] as string}`, micros);
        }
      }
      expect(reported).toEqual(await sqlSums(column));
    }
  });

  test('/global/spend/report?group_by=tag: per day and tag, every request of the range under its tag', async () => {
    const { status, body } = await get<Array<{ group_by_day: string; tags: Array<{ tag: string; total_spend_micros: number; total_requests: number; metadata: Array<{ spend_micros: number }> }> }>>(
      `/global/spend/report?start_date=${FROM}&end_date=${TO}&group_by=tag`,
    );
    expect(status).toBe(200);
    expect(body.map((day) => day.group_by_day)).toEqual(['2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21'].map((day) => `${day}T00:00:00+00:00`));
    // Every test event carries the one tag "test": its days add up to the whole ledger.
    const groups = body.flatMap((day) => day.tags);
    expect(new Set(groups.map((group) => group.tag))).toEqual(new Set(['test']));
    const totals = await ledgerTotals(backends.sql);
    expect(groups.reduce((sum, group) => sum + group.total_spend_micros, 0)).toBe(Number(totals.cost));
    expect(groups.reduce((sum, group) => sum + group.total_requests, 0)).toBe(TOTAL);
    for (const group of groups) expect(group.metadata.reduce((sum, split) => sum + split.spend_micros, 0)).toBe(group.total_spend_micros);
    // Read from spend_daily_tags; filtered by a team (which that table has not) it sums spend_logs: per day
    // and tag, both equal the log.
    const logged = await backends.sql.query<{ day: string; tag: string; team_id: string; nanos: number; requests: number; cached: number; failures: number }>(
      `SELECT to_char(start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD') || 'T00:00:00+00:00' AS day, tag, team_id, sum(cost_nanos)::bigint AS nanos,
         count(*)::bigint AS requests, sum(cached_tokens)::bigint AS cached, count(*) FILTER (WHERE status <> 'success')::bigint AS failures
       FROM spend_logs, unnest(CASE WHEN cardinality(tags) = 0 THEN ARRAY[''] ELSE tags END) AS tag GROUP BY 1, 2, 3`,
    );
    type TagReport = Array<{ group_by_day: string; tags: Array<{ tag: string; total_spend_nanos: number; total_requests: number; total_cached_tokens: number; total_failures: number }> }>;
    const rows = (report: TagReport) =>
      report.flatMap((day) => day.tags.map((tag) => [day.group_by_day, tag.tag, tag.total_spend_nanos, tag.total_requests, tag.total_cached_tokens, tag.total_failures]));
    const sumBy = (picked: typeof logged.rows) => {
      const sums = new Map<string, number[]>();
      for (const row of picked) {
        const sum = sums.get(`${row.day}|${row.tag}`) ?? [0, 0, 0, 0];
        [row.nanos, row.requests, row.cached, row.failures].forEach((value, index) => (sum[index]! += Number(value)));
        sums.set(`${row.day}|${row.tag}`, sum);
      }
      return [...sums].sort(([a], [b]) => a.localeCompare(b)).map(([name, sum]) => [...name.split('|'), ...sum]);
    };
    expect(rows((await get<TagReport>(`/global/spend/report?start_date=${FROM}&end_date=${TO}&group_by=tag`)).body)).toEqual(sumBy(logged.rows));
    const team = logged.rows[0]!.team_id;
    expect(rows((await get<TagReport>(`/global/spend/report?start_date=${FROM}&end_date=${TO}&group_by=tag&team_id=${team}`)).body)).toEqual(
      sumBy(logged.rows.filter((row) => row.team_id === team)),
    );
    const bad = await get<{ error: { param: string } }>('/global/spend/report?group_by=colour');
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe('group_by');
  });

  test('/global/spend/keys and /global/spend/models equal SQL, biggest first', async () => {
    const keys = await get<Array<{ api_key: string; key_alias: string; total_spend_micros: number }>>(`/global/spend/keys?start_date=${FROM}&end_date=${TO}&limit=100`);
    expect(keys.status).toBe(200);
    const byKey = await backends.sql.query<{ id: string; micros: number; alias: string }>(
      'SELECT key_hash AS id, max(key_alias) AS alias, sum(cost_micros)::bigint AS micros FROM spend_logs GROUP BY 1 ORDER BY 3 DESC, 1',
    );
    expect(keys.body.map((row) => [row.api_key, row.key_alias, row.total_spend_micros])).toEqual(byKey.rows.map((row) => [row.id, row.alias, row.micros]));
    const top = await get<unknown[]>(`/global/spend/keys?start_date=${FROM}&end_date=${TO}&limit=2`);
    expect(top.body).toHaveLength(2);

    const models = await get<Array<{ model: string; total_spend_micros: number }>>(`/global/spend/models?start_date=${FROM}&end_date=${TO}`);
    const byModel = await backends.sql.query<{ id: string; micros: number }>('SELECT model_group AS id, sum(cost_micros)::bigint AS micros FROM spend_logs GROUP BY 1 ORDER BY 2 DESC, 1');
    expect(models.body.map((row) => [row.model, row.total_spend_micros])).toEqual(byModel.rows.map((row) => [row.id, row.micros]));
  });

  test('/spend/logs by request id, key (hash), user, team and date range', async () => {
    const one = await get<Array<Record<string, unknown>>>('/spend/logs?request_id=req-000042');
    expect(one.status).toBe(200);
    expect(one.body).toHaveLength(1);
    const event = usageEvent(42);
    expect(one.body[0]).toMatchObject({
      request_id: 'req-000042',
      api_key: event.keyHash,
      spend_micros: event.costMicros,
      spend: event.costMicros / 1e6,
      prompt_tokens: event.promptTokens,
      completion_tokens: event.completionTokens,
      total_tokens: event.promptTokens + event.completionTokens,
      model: event.model,
      model_group: event.modelGroup,
      custom_llm_provider: event.provider,
      user: event.userId,
      team_id: event.teamId,
      end_user: event.endUser,
      status: 'success',
      startTime: new Date(event.startTimeMs).toISOString(),
    });

    for (const [query, where, value] of [
      ['api_key', 'key_hash', usageEvent(3).keyHash],
      ['user_id', 'user_id', 'user-2'],
      ['team_id', 'team_id', 'team-1'],
    ] as const) {
      const logs = await get<Array<{ request_id: string; spend_micros: number }>>(`/spend/logs?${query}=${value}&limit=100000`);
      const expected = await backends.sql.query<{ count: number; micros: number }>(`SELECT count(*)::int AS count, sum(cost_micros)::bigint AS micros FROM spend_logs WHERE ${where} = $1`, [value]);
      expect(logs.body).toHaveLength(expected.rows[0]!.count);
      expect(logs.body.reduce((sum, row) => sum + row.spend_micros, 0)).toBe(expected.rows[0]!.micros);
    }

    const raw = await get<Array<{ startTime: string }>>(`/spend/logs?start_date=2026-11-19&end_date=2026-11-19&summarize=false&limit=100000`);
    const expectedDay = await backends.sql.query<{ count: number }>(
      "SELECT count(*)::int AS count FROM spend_logs WHERE start_time >= '2026-11-19T00:00:00Z' AND start_time < '2026-11-20T00:00:00Z'",
    );
    expect(raw.body).toHaveLength(expectedDay.rows[0]!.count);
    expect(raw.body.every((row) => row.startTime.startsWith('2026-11-19'))).toBe(true);

    const summary = await get<Array<{ startTime: string; spend_micros: number; users: Record<string, number> }>>(`/spend/logs?start_date=${FROM}&end_date=${TO}`);
    const perDay = await sqlSums("''");
    expect(new Map(summary.body.map((day) => [`${day.startTime}|`, day.spend_micros]))).toEqual(perDay);
  });

  test('admin only, and bad input is a 400 naming the parameter', async () => {
    expect((await get('/global/spend/keys', 'sk-not-a-key')).status).toBe(401);
    const missing = await fetch(`${stack.edgeUrl}/spend/logs`);
    expect(missing.status).toBe(401);
    const bad = await get<{ error: { code: string; param: string } }>('/global/spend/report?start_date=2026-13-01&end_date=2026-11-21');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid_request', param: 'start_date' });
    const group = await get<{ error: { param: string } }>(`/global/spend/report?start_date=${FROM}&end_date=${TO}&group_by=planet`);
    expect(group.status).toBe(400);
    expect(group.body.error.param).toBe('group_by');
  });
});

describe('usage report CLI', () => {
  const run = promisify(execFile);
  const cli = (...args: string[]) =>
    run(process.execPath, [join(REPOSITORY_ROOT, 'services/accounting/dist/cli/usage-report-main.js'), ...args], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: backends.databaseUrl },
    });

  test('one CSV row per key with the same totals as SQL', async () => {
    const { stdout } = await cli('--from', FROM, '--to', TO, '--format', 'csv');
    const [header, ...lines] = stdout.trim().split('\n');
    expect(header).toBe('key_alias,key_hash,requests,failures,tokens_in,tokens_out,cached_tokens,cost_usd,models');
    const expected = await backends.sql.query<{ alias: string; key: string; requests: number; failures: number; prompt: number; completion: number; cached: number; nanos: number; models: string }>(
      `SELECT max(key_alias) AS alias, key_hash AS key, count(*)::int AS requests, count(*) FILTER (WHERE status = 'failure')::int AS failures,
         sum(prompt_tokens)::int AS prompt, sum(completion_tokens)::int AS completion, sum(cached_tokens)::int AS cached,
         sum(cost_nanos)::bigint AS nanos, string_agg(DISTINCT model_group, ' ' ORDER BY model_group) AS models
       FROM spend_logs GROUP BY key_hash ORDER BY 8 DESC, 2`,
    );
    // Exact to the nano-dollar, the ledger's unit.
    const usd = (nanos: number) => `${Math.floor(nanos / 1e9)}.${String(nanos % 1e9).padStart(9, '0')}`;
    expect(lines).toEqual(expected.rows.map((row) => [row.alias, row.key, row.requests, row.failures, row.prompt, row.completion, row.cached, usd(Number(row.nanos)), row.models].join(',')));
  });

  test('the table ends with a total equal to the ledger', async () => {
    const { stdout } = await cli('--from', FROM, '--to', TO);
    const totals = await ledgerTotals(backends.sql);
    const nanos = Number((await backends.sql.query<{ nanos: number }>('SELECT sum(cost_nanos)::bigint AS nanos FROM spend_logs')).rows[0]!.nanos);
    const last = stdout.trim().split('\n').at(-1)!;
    expect(last.split(/\s+/)).toEqual(['TOTAL', String(totals.rows), expect.any(String), expect.any(String), expect.any(String), expect.any(String), `${Math.floor(nanos / 1e9)}.${String(nanos % 1e9).padStart(9, '0')}`]);
    const outside = await cli('--from', '2026-10-01', '--to', '2026-10-31', '--format', 'csv');
    expect(outside.stdout.trim().split('\n')).toHaveLength(1);
    await expect(cli('--from', '2026-11-21', '--to', '2026-11-01')).rejects.toMatchObject({ code: 2 });
  });
});
