// `npm start` with SLUICE_DATA_DIR on a machine without Postgres: embedded mode with the PGlite database
// on disk, so keys and the ledger survive a restart; and a client key from the config (with key
// management on) is an ordinary key there too, not duplicated by the second start.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { afterAll, expect, test } from 'vitest';
import { hashKey } from '@sluice/common';
import { type FakeProvider, REPOSITORY_ROOT, replayOpenAiFixture, startFakeProvider, writeConfigFile } from '@sluice/testing';
import { type EmbeddedLauncher, startEmbedded } from './helpers/embedded-launcher.js';
import { waitFor } from './helpers/wait-for.js';

const MASTER_KEY = 'sk-laptop-master';
const CLIENT_KEY = 'sk-laptop-client-1';
const SECOND_CLIENT_KEY = 'sk-laptop-client-2';
let fake: FakeProvider | undefined;
let launcher: EmbeddedLauncher | undefined;
const dataDir = join(mkdtempSync(join(tmpdir(), 'sluice-data-')), 'db');

afterAll(async () => {
  if (launcher && launcher.child.exitCode === null) launcher.child.kill('SIGKILL');
  await fake?.close();
  rmSync(join(dataDir, '..'), { recursive: true, force: true });
});

test('SLUICE_DATA_DIR keeps keys and the ledger across a restart, and says so first; SIGHUP revokes a removed client key', async () => {
  fake = await startFakeProvider(replayOpenAiFixture('openai__chat__openai-text'));
  const config = writeConfigFile({
    model_list: [
      {
        model_name: 'gpt-test',
        litellm_params: { model: 'openai/gpt-4.1-nano', api_base: `${fake.url}/v1`, api_key: 'sk-up', input_cost_per_token: 0.00001, output_cost_per_token: 0.0001 },
      },
    ],
    general_settings: { master_key: MASTER_KEY, client_keys: ['os.environ/API_KEYS', SECOND_CLIENT_KEY] },
  });
  // No --embedded: a data directory without DATABASE_URL is enough, even with Postgres answering here.
  const start = () => startEmbedded(config, { embedded: false, env: { SLUICE_DATA_DIR: dataDir, API_KEYS: CLIENT_KEY } });
  const admin = async (url: string, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${MASTER_KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const chat = (url: string, apiKey: string) =>
    new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0 }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
  const logCount = async (url: string) => ((await admin(url, 'GET', '/spend/logs')).body as unknown[]).length;

  launcher = await start();
  expect(launcher.lines[0]).toMatch(/embedded mode/);
  expect(launcher.lines[0]).toContain(dataDir);
  expect(launcher.lines[0]).toMatch(/SLUICE_DATA_DIR/);
  // Key management is on: the master key makes a key, beside the one from the config.
  const generated = await admin(launcher.url, 'POST', '/key/generate', { key_alias: 'laptop' });
  expect(generated.status).toBe(200);
  expect((await chat(launcher.url, CLIENT_KEY)).usage?.completion_tokens).toBe(363);
  expect((await chat(launcher.url, generated.body.key)).usage?.completion_tokens).toBe(363);
  await waitFor(async () => (await logCount(launcher!.url)) === 2, { timeoutMs: 20_000, message: 'the ledger did not get both requests' });
  const spentBefore = (await admin(launcher.url, 'GET', '/spend/logs')).body as Array<{ spend_micros: number }>;
  expect(await launcher.stop()).toBe(0);

  launcher = await start();
  expect(launcher.lines.join('\n')).not.toMatch(/applied migration/);
  const kept = (await admin(launcher.url, 'GET', '/spend/logs')).body as Array<{ spend_micros: number }>;
  expect(kept).toHaveLength(2);
  expect(kept.map((row) => row.spend_micros).sort()).toEqual(spentBefore.map((row) => row.spend_micros).sort());
  const keys = await admin(launcher.url, 'GET', '/key/list');
  expect(keys.body.total_count).toBe(3);
  expect((await chat(launcher.url, generated.body.key)).usage?.completion_tokens).toBe(363);
  expect((await chat(launcher.url, CLIENT_KEY)).usage?.completion_tokens).toBe(363);
  await waitFor(async () => (await logCount(launcher!.url)) === 4, { timeoutMs: 20_000, message: 'the ledger did not grow after the restart' });

  // Taking a key off the list and sending SIGHUP to the launcher revokes it in embedded mode too.
  expect((await chat(launcher.url, SECOND_CLIENT_KEY)).usage?.completion_tokens).toBe(363);
  const document = JSON.parse(readFileSync(config, 'utf8')) as { general_settings: { client_keys: string[] } };
  document.general_settings.client_keys = ['os.environ/API_KEYS'];
  writeFileSync(config, JSON.stringify(document));
  const synced = () => launcher!.lines.filter((line) => line.includes('client keys from the config synchronised')).length;
  const before = synced();
  launcher.child.kill('SIGHUP');
  await waitFor(() => synced() === before + 1, { timeoutMs: 10_000, message: 'the launcher did not reload' });
  await expect(chat(launcher.url, SECOND_CLIENT_KEY)).rejects.toMatchObject({ status: 401 });
  expect((await chat(launcher.url, CLIENT_KEY)).usage?.completion_tokens).toBe(363);
  await waitFor(async () => (await logCount(launcher!.url)) >= 6, { timeoutMs: 20_000, message: 'the ledger did not get the last requests' });

  // `npm run usage-report` reads the data directory, but never while the gateway has it open.
  const report = (...args: string[]) =>
    promisify(execFile)(process.execPath, [join(REPOSITORY_ROOT, 'packages/launcher/dist/usage-report-main.js'), ...args], {
      env: { PATH: process.env.PATH ?? '', SLUICE_DATA_DIR: dataDir },
    });
  await expect(report('--format', 'csv')).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/is running/) });
  expect(await launcher.stop()).toBe(0);
  const { stdout } = await report('--format', 'csv');
  const rows = new Map(stdout.trim().split('\n').slice(1).map((line) => [line.split(',')[1], line.split(',')]));
  expect(rows.get(hashKey(CLIENT_KEY, undefined))?.slice(2, 6)).toEqual(['3', '0', '48', String(3 * 363)]);
  expect(rows.get(hashKey(SECOND_CLIENT_KEY, undefined))?.[2]).toBe('1');
  expect(rows.get(generated.body.token)?.[2]).toBe('2');
});
