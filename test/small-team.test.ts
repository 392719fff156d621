// The hardened small-team shape (issue 22) on Postgres, Redis and NATS: key management switched off,
// client keys handed out through the config (an environment variable holding a comma-separated list,
// plus entries in the file), and the per-key usage report. A key removed from the list is refused after
// policy reloads its config on SIGHUP.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_ROUTES, changesState, hashKey } from '@sluice/common';
import { REPOSITORY_ROOT } from '@sluice/testing';
import { MASTER_KEY, type PolicyStack, PRICE, RECORDED_USAGE, request, startPolicyStack } from './helpers/policy-stack.js';
import { waitFor } from './helpers/wait-for.js';

const CLIENT_A = 'sk-clientA-0b7c1d2e3f';
const CLIENT_B = 'sk-clientB-9a8b7c6d5e';
const LIMITED = 'sk-limited-client-42';
const REMOVABLE = 'sk-removable-client-7';
const token = (key: string) => hashKey(key, undefined);

let stack: PolicyStack;

beforeAll(async () => {
  stack = await startPolicyStack('smallteam', {
    env: { API_KEYS: `${CLIENT_A},${CLIENT_B}`, SLUICE_LEDGER_BATCH_WAIT_MS: '100' },
    generalSettings: {
      disable_key_management: true,
      client_keys: ['os.environ/API_KEYS', { key: LIMITED, key_alias: 'limited', rpm_limit: 1 }, REMOVABLE],
    },
  });
});

afterAll(async () => {
  await stack?.stop();
});

function allLogs(): string {
  return Object.values(stack.stack.services)
    .flatMap((service) => service.logs)
    .join('\n');
}

describe('disable_key_management', () => {
  test('every admin route that changes something answers 403 key_management_disabled; reading routes still answer', async () => {
    let refused = 0;
    for (const route of ADMIN_ROUTES) {
      // A valid input for the route's schema, so the answer comes from policy and not from validation.
      const input = Value.Create((route.body ?? route.query)!) as Record<string, string>;
      for (const path of route.paths) {
        const url = `${stack.edges[0]}${path.replace(':key', 'sk-nothing')}`;
        const reply =
          route.method === 'GET'
            ? await request(`${url}?${new URLSearchParams(input).toString()}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } })
            : await stack.admin('POST', path.replace(':key', 'sk-nothing'), input);
        if (changesState(route)) {
          expect(reply.status, path).toBe(403);
          expect(reply.body.error, path).toMatchObject({ code: 'key_management_disabled', type: 'permission_error' });
          expect(reply.body.error.message).toMatch(/key management is disabled/i);
          refused += 1;
        } else {
          // Answered by the handler (found, not found for the made-up id, or a missing parameter), never refused.
          expect(reply.body?.error?.code, `${path}: ${JSON.stringify(reply.body)}`).not.toBe('key_management_disabled');
          expect([200, 400, 404], `${path}: ${JSON.stringify(reply.body)}`).toContain(reply.status);
        }
      }
    }
    expect(refused).toBeGreaterThanOrEqual(20);
    // Nothing was created: the only keys are the four from the config.
    const list = await stack.admin('GET', '/key/list');
    expect(list.status).toBe(200);
    expect(list.body.total_count).toBe(4);
    expect([...list.body.keys].sort()).toEqual([CLIENT_A, CLIENT_B, LIMITED, REMOVABLE].map(token).sort());
  });

  test('spend routes stay open to the master key, and a client key still cannot use admin routes', async () => {
    expect((await stack.admin('GET', '/spend/logs')).status).toBe(200);
    expect((await stack.admin('GET', '/key/list', undefined, CLIENT_A)).status).toBe(403);
    expect((await stack.admin('GET', `/key/info?key=${token(CLIENT_A)}`, undefined, CLIENT_A)).status).toBe(200);
  });
});

describe('client keys from the config', () => {
  test('a declared key works with the openai client; an unknown key of any shape is refused', async () => {
    const client = new OpenAI({ baseURL: `${stack.edges[0]}/v1`, apiKey: CLIENT_A, maxRetries: 0 });
    const reply = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'Invent a holiday' }] });
    expect(reply.usage?.completion_tokens).toBe(RECORDED_USAGE.completion);
    const stranger = new OpenAI({ baseURL: `${stack.edges[0]}/v1`, apiKey: 'sk-clientC-not-declared', maxRetries: 0 });
    await expect(stranger.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 401 });
  });

  test('stored hashed only, alias from the hash, never logged', async () => {
    const rows = await stack.backends.sql.query<{ token: string; key_alias: string; text: string }>(
      `SELECT token, key_alias, row_to_json(k)::text AS text FROM api_keys k WHERE config_fingerprint IS NOT NULL ORDER BY key_alias`,
    );
    expect(rows.rows).toHaveLength(4);
    const byToken = new Map(rows.rows.map((row) => [row.token, row]));
    expect(byToken.get(token(CLIENT_A))?.key_alias).toBe(token(CLIENT_A).slice(0, 12));
    expect(byToken.get(token(LIMITED))?.key_alias).toBe('limited');
    for (const key of [CLIENT_A, CLIENT_B, LIMITED, REMOVABLE]) {
      for (const row of rows.rows) expect(row.text).not.toContain(key.slice(3));
      expect(allLogs()).not.toContain(key.slice(3));
    }
    const info = await stack.admin('GET', `/key/info?key=${token(LIMITED)}`);
    expect(info.body.info).toMatchObject({ key_alias: 'limited', rpm_limit: 1 });
  });

  test("a declared key's limits apply like any virtual key's", async () => {
    expect((await stack.chat(LIMITED)).status).toBe(200);
    const second = await stack.chat(LIMITED);
    expect(second.status).toBe(429);
    expect(second.body.error.code).toBe('rate_limit_requests');
  });

  test("its spend is in the usage report (no arguments: the last 7 days; --date: today)", async () => {
    const hash = token(CLIENT_A);
    await waitFor(
      async () => (await stack.backends.sql.query('SELECT 1 FROM spend_logs WHERE key_hash = $1', [hash])).rows.length === 1,
      { timeoutMs: 30_000, message: 'the request never reached the ledger' },
    );
    const run = promisify(execFile);
    const cli = (...args: string[]) =>
      run(process.execPath, [join(REPOSITORY_ROOT, 'services/accounting/dist/cli/usage-report-main.js'), ...args], {
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: stack.backends.databaseUrl },
      });
    const cost = (RECORDED_USAGE.prompt * PRICE.input + RECORDED_USAGE.completion * PRICE.output) / 1_000_000;
    const expected = [hash.slice(0, 12), hash, '1', '0', String(RECORDED_USAGE.prompt), String(RECORDED_USAGE.completion), '0', cost.toFixed(9), 'gpt-test'].join(',');
    const today = new Date().toISOString().slice(0, 10);
    for (const args of [['--format', 'csv'], ['--date', today, '--format', 'csv'], ['--from', today, '--to', today, '--format', 'csv']]) {
      const { stdout } = await cli(...args);
      const [header, ...lines] = stdout.trim().split('\n');
      expect(header).toBe('key_alias,key_hash,requests,failures,tokens_in,tokens_out,cached_tokens,cost_usd,models');
      expect(lines).toContain(expected);
    }
    const table = await cli();
    expect(table.stdout).toMatch(new RegExp(`^${hash.slice(0, 12)}\\s+${hash}\\s+1\\s+0\\s+16\\s+363\\s+0\\s+${cost.toFixed(9).replace('.', '\\.')}\\s+gpt-test$`, 'm'));
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    expect((await cli('--date', yesterday, '--format', 'csv')).stdout).not.toContain(hash);
    await expect(cli('--date', today, '--from', today)).rejects.toMatchObject({ code: 2 });
  });

  test('a key removed from the list is refused after the config is reloaded (SIGHUP); the others keep working', async () => {
    expect((await stack.chat(REMOVABLE)).status).toBe(200);
    const path = stack.stack.envOf('policy').SLUICE_CONFIG!;
    const config = JSON.parse(readFileSync(path, 'utf8')) as { general_settings: { client_keys: unknown[] } };
    // One entry removed, one changed (a new limit and alias), the rest as they were.
    config.general_settings.client_keys = config.general_settings.client_keys
      .filter((entry) => entry !== REMOVABLE)
      .map((entry) => (typeof entry === 'object' ? { key: LIMITED, key_alias: 'limited-5', rpm_limit: 5 } : entry));
    writeFileSync(path, JSON.stringify(config));
    const policy = stack.stack.services.policy;
    const synced = () => policy.logs.filter((line) => line.includes('client keys from the config synchronised'));
    expect(synced()).toHaveLength(1);
    policy.child.kill('SIGHUP');
    await waitFor(() => synced().length === 2, { timeoutMs: 10_000, message: 'policy did not reload' });
    expect(JSON.parse(synced()[1]!)).toMatchObject({ clientKeys: 3, created: 0, updated: 1, revoked: 1 });
    const changed = await stack.admin('GET', `/key/info?key=${token(LIMITED)}`);
    expect(changed.body.info).toMatchObject({ key_alias: 'limited-5', rpm_limit: 5 });
    expect(policy.child.exitCode).toBeNull();

    const refused = await stack.chat(REMOVABLE);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('invalid_api_key');
    expect((await stack.backends.sql.query('SELECT 1 FROM api_keys WHERE token = $1', [token(REMOVABLE)])).rows).toHaveLength(0);
    expect((await stack.chat(CLIENT_B)).status).toBe(200);
  });
});
