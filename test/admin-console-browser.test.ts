// The admin console in a real browser (Debian's Chromium driven by playwright-core) against a real stack:
// sign in, create a key and see it once, use it with the openai client, find its spend in the chart and
// its request in the list, block it and see the next call refused, sign out; no console errors on the way.
// With UPDATE_SCREENSHOTS=1 the screenshots of every page go to docs/console/ (for docs/console.md);
// otherwise they are still taken, into a temporary directory.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createTestBackends,
  type FakeProvider,
  REPOSITORY_ROOT,
  replayOpenAiFixture,
  type Stack,
  startFakeProvider,
  startStack,
  type TestBackends,
  writeConfigFile,
} from '@sluice/testing';
import { connectTestBus, publishAll, usageEvent } from './helpers/usage-events.js';
import { waitFor } from './helpers/wait-for.js';

const CHROMIUM = '/usr/bin/chromium';
// Browser-side code is passed to page.evaluate as text: the tests are compiled without the DOM library.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const MASTER_KEY = 'sk-console-master';
const FIXTURE = 'openai__chat__openai-text';
const KEY_ALIAS = 'billing-service';
const updateDocs = process.env.UPDATE_SCREENSHOTS === '1';
const screenshotDirectory = updateDocs ? join(REPOSITORY_ROOT, 'docs', 'console') : mkdtempSync(join(tmpdir(), 'sluice-console-shots-'));

let fake: FakeProvider;
let backends: TestBackends;
let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];
let nonAdminKey = '';

function isoDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

async function admin<T>(path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${stack.edgeUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  expect(response.status, `${path}: ${await response.clone().text()}`).toBe(200);
  return (await response.json()) as T;
}

function watch(target: Page): void {
  target.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') consoleErrors.push(`${message.type()}: ${message.text()}`);
  });
  target.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
}

async function shoot(target: Page, name: string): Promise<void> {
  // Charts animate nothing, but fonts and layout settle after the last fetch.
  await target.waitForLoadState('networkidle');
  // A key value, even a throwaway one, does not go into the docs: it is painted over.
  await target.screenshot({ path: join(screenshotDirectory, `${name}.png`), fullPage: false, mask: [target.getByTestId('new-key')], maskColor: '#c9ced6' });
}

async function open(path: string, heading: string): Promise<void> {
  await page.goto(`${stack.edgeUrl}/ui/#/${path}`);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

/** Ten days of earlier traffic of two keys, straight into the usage stream, so the charts have a shape. */
async function publishHistory(keys: Array<{ keyHash: string; keyAlias: string; teamId: string; userId: string }>): Promise<void> {
  const bus = await connectTestBus(backends.env);
  const events: ReturnType<typeof usageEvent>[] = [];
  for (let day = 1; day <= 10; day += 1) {
    for (const [slot, key] of keys.entries()) {
      for (const modelGroup of ['gpt-test', 'gpt-test-large']) {
        const index = events.length;
        const start = Date.now() - day * 86_400_000 + index * 1_000;
        events.push(
          usageEvent(index, {
            requestId: `history-${index}`,
            ...key,
            organizationId: '',
            modelGroup,
            model: modelGroup === 'gpt-test' ? 'gpt-4.1-nano' : 'gpt-4.1-mini',
            provider: 'openai',
            deploymentId: modelGroup === 'gpt-test' ? 'gpt-test-primary' : 'gpt-large-primary',
            // A few cents to a few dollars a day, different every day.
            costMicros: 40_000 + ((day * 7_919 + slot * 104_729 + index * 15_485) % 97) * 31_337,
            startTimeMs: start,
            firstTokenTimeMs: start + 180,
            endTimeMs: start + 900,
          }),
        );
      }
    }
  }
  await publishAll(bus, events);
  await bus.close();
  await waitFor(async () => (await backends.sql.query<{ count: number }>(`SELECT count(*)::int AS count FROM spend_logs WHERE request_id LIKE 'history-%'`)).rows[0]!.count === events.length, {
    timeoutMs: 60_000,
  });
}

beforeAll(async () => {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`).toBe(true);
  expect(existsSync(join(REPOSITORY_ROOT, 'packages/console/dist/index.html')), 'the console is not built: npm run build').toBe(true);
  mkdirSync(screenshotDirectory, { recursive: true });
  fake = await startFakeProvider(replayOpenAiFixture(FIXTURE));
  backends = await createTestBackends('console');
  const upstream = { api_base: `${fake.url}/v1`, api_key: 'sk-upstream-never-shown' };
  const config = writeConfigFile({
    model_list: [
      { model_name: 'gpt-test', litellm_params: { model: 'openai/gpt-4.1-nano', ...upstream }, model_info: { id: 'gpt-test-primary' } },
      { model_name: 'gpt-test-large', litellm_params: { model: 'openai/gpt-4.1-mini', ...upstream }, model_info: { id: 'gpt-large-primary' } },
      // A second deployment nobody listens on: its first failure cools it down, and the Models page shows it.
      { model_name: 'gpt-test-large', litellm_params: { model: 'openai/gpt-4.1-mini', api_base: 'http://127.0.0.1:9/v1', api_key: 'sk-x' }, model_info: { id: 'gpt-large-dead' } },
    ],
    router_settings: { allowed_fails: 0, cooldown_time: 300, routing_strategy: 'simple-shuffle' },
    general_settings: { master_key: MASTER_KEY },
  });
  stack = await startStack({ ...backends.env, SLUICE_CONFIG: config, SLUICE_LEDGER_BATCH_WAIT_MS: '100' });
  // Something to look at on every page.
  await admin('/organization/new', { organization_id: 'acme', organization_alias: 'ACME', max_budget: 2000, budget_duration: '1mo' });
  await admin('/team/new', { team_id: 'platform', team_alias: 'Platform', organization_id: 'acme', max_budget: 500, rpm_limit: 3000, members_with_roles: [{ role: 'admin', user_id: 'ada' }, { role: 'user', user_email: 'bob@example.com' }] });
  await admin('/team/new', { team_id: 'research', team_alias: 'Research', max_budget: 50, tpm_limit: 1_000_000 });
  await admin('/user/new', { user_id: 'grace', user_email: 'grace@example.com', user_role: 'proxy_admin', teams: ['research'], max_budget: 100, auto_create_key: false });
  const batch = await admin<{ key: string; token: string }>('/key/generate', { key_alias: 'batch-jobs', team_id: 'research', models: ['gpt-test'], max_budget: 20, rpm_limit: 60, duration: '30d' });
  nonAdminKey = batch.key;
  const notebook = await admin<{ token: string }>('/key/generate', { key_alias: 'notebook', user_id: 'grace', tpm_limit: 50_000 });
  await publishHistory([
    { keyHash: batch.token, keyAlias: 'batch-jobs', teamId: 'research', userId: '' },
    { keyHash: notebook.token, keyAlias: 'notebook', teamId: 'platform', userId: 'grace' },
  ]);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: { width: 1366, height: 860 }, acceptDownloads: true });
  page = await context.newPage();
  watch(page);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await fake?.close();
  await backends?.cleanup();
  if (!updateDocs) rmSync(screenshotDirectory, { recursive: true, force: true });
});

describe('the admin console in Chromium', () => {
  let newKey = '';

  test('serves /ui with a strict CSP, and a bad key cannot sign in', async () => {
    const response = await page.goto(`${stack.edgeUrl}/ui/`);
    expect(response?.status()).toBe(200);
    const csp = (await response!.allHeaders())['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    await page.getByRole('heading', { name: 'Sluice console' }).waitFor();
    await shoot(page, 'sign-in');
    const attempt = async (key: string) => {
      await page.getByLabel('Admin key').fill(key);
      await page.getByRole('button', { name: 'Sign in' }).click();
      return page.getByRole('alert').textContent();
    };
    await expect.poll(() => attempt('sk-not-a-real-key')).toBe('This key is not valid.');
    await expect.poll(() => attempt(nonAdminKey)).toBe('This key is valid but is not an admin key.');
    expect(await page.evaluate<string | null>(`sessionStorage.getItem('sluice.console.key')`)).toBeNull();
    // Chromium logs each refused fetch; those two are expected, nothing else is.
    expect(consoleErrors.length).toBeGreaterThan(0);
    for (const message of consoleErrors) expect(message).toMatch(/status of (401|403)/);
    consoleErrors.length = 0;
  });

  test('signs in with the master key, kept in sessionStorage and never in a cookie', async () => {
    await page.getByLabel('Admin key').fill(MASTER_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Keys' }).waitFor();
    expect(await page.evaluate<string>('document.cookie')).toBe('');
    expect((await context.cookies()).length).toBe(0);
    expect(await page.evaluate<string | null>(`sessionStorage.getItem('sluice.console.key')`)).toBe(MASTER_KEY);
    expect(await page.content()).not.toContain(MASTER_KEY);
    await page.getByRole('button', { name: 'Edit batch-jobs' }).waitFor();
  });

  test('creates a key and shows it exactly once, with a copy button and a warning', async () => {
    await page.getByRole('button', { name: 'New key' }).click();
    const form = page.getByRole('dialog', { name: 'New key' });
    await form.getByLabel('Alias').fill(KEY_ALIAS);
    await form.getByLabel('Team', { exact: true }).fill('platform');
    await form.getByLabel('Max budget (USD)').fill('5');
    await form.getByLabel('Requests per minute').fill('600');
    await form.getByLabel('Expires after').fill('90d');
    await form.getByRole('button', { name: 'Create' }).click();
    const shown = page.getByRole('dialog', { name: 'Your new key' });
    await shown.waitFor();
    newKey = (await shown.getByTestId('new-key').textContent()) ?? '';
    expect(newKey).toMatch(/^sk-[0-9A-Za-z]{30}$/);
    await expect.poll(() => shown.getByRole('alert').textContent()).toMatch(/shown only once/);
    expect(await shown.getByRole('button', { name: 'Copy' }).isVisible()).toBe(true);
    await shoot(page, 'key-created');
    await shown.getByRole('button', { name: 'I have copied it' }).click();
    await shown.waitFor({ state: 'detached' });
    // Listed (with its team, budget and limits), and the value is nowhere on the page any more.
    const row = page.getByRole('row').filter({ hasText: KEY_ALIAS });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.textContent()).toContain('platform');
    expect(await row.textContent()).toContain('$0.00 / $5.00');
    expect(await row.textContent()).toContain('600 rpm');
    expect(await page.content()).not.toContain(newKey);
    await page.getByRole('button', { name: 'Edit batch-jobs' }).waitFor();
    await shoot(page, 'keys');
  });

  test('the key works with the openai client, and its spend is in the chart and its request in the list', async () => {
    const client = new OpenAI({ baseURL: `${stack.edgeUrl}/v1`, apiKey: newKey, maxRetries: 0 });
    for (let index = 0; index < 3; index += 1) {
      const answer = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'Invent a holiday' }] });
      expect(answer.choices[0]!.message.content).not.toBe('');
    }
    const master = new OpenAI({ baseURL: `${stack.edgeUrl}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
    for (let index = 0; index < 4; index += 1) await master.chat.completions.create({ model: 'gpt-test-large', messages: [{ role: 'user', content: 'Hi' }] });

    const today = isoDay(Date.now());
    const from = isoDay(Date.now() - 13 * 86_400_000);
    type KeyDay = { keys: Array<{ key_alias: string; total_spend_micros: number; total_requests: number }> };
    await waitFor(async () => {
      const report = await admin<KeyDay[]>(`/global/spend/report?start_date=${from}&end_date=${today}&group_by=api_key`);
      // Ten days of history (40 requests), this key's 3 and the master key's 4.
      return report.flatMap((day) => day.keys).reduce((sum, key) => sum + key.total_requests, 0) === 47;
    }, { timeoutMs: 30_000 });
    const report = await admin<KeyDay[]>(`/global/spend/report?start_date=${from}&end_date=${today}&group_by=api_key`);
    const keyMicros = report.flatMap((day) => day.keys).filter((key) => key.key_alias === KEY_ALIAS).reduce((sum, key) => sum + key.total_spend_micros, 0);
    const allMicros = report.flatMap((day) => day.keys).reduce((sum, key) => sum + key.total_spend_micros, 0);
    expect(keyMicros).toBeGreaterThan(0);
    // The spend route is the ledger: the same amount as a direct sum over spend_logs (exact nano-dollars
    // there; the route's micro-dollars carry the fraction).
    const ledger = await backends.sql.query<{ nanos: string }>(
      `SELECT coalesce(sum(cost_nanos), 0)::text AS nanos FROM spend_logs WHERE start_time >= $1 AND start_time < $2::date + 1`,
      [`${from}T00:00:00Z`, today],
    );
    expect(Number(ledger.rows[0]!.nanos) / 1000).toBeCloseTo(allMicros, 3);
    // Shown to the micro-dollar, truncated, as usage-report prints it.
    const exact = (micros: number) => {
      const whole = Math.trunc(micros);
      return `${Math.floor(whole / 1e6)}.${String(whole % 1e6).padStart(6, '0')}`;
    };

    await open('spend', 'Spend');
    await page.getByRole('button', { name: 'Key', exact: true }).click();
    const chart = page.getByTestId('spend-chart');
    await chart.locator('canvas').waitFor();
    // uPlot's legend names each series: the new key is one of the lines.
    await expect.poll(() => chart.locator('.u-legend').textContent()).toContain(KEY_ALIAS);
    const keyRow = page.getByRole('table', { name: 'Spend per key' }).getByRole('row').filter({ hasText: KEY_ALIAS });
    await expect.poll(() => keyRow.textContent()).toContain(exact(keyMicros));
    expect(await page.getByText(`(exactly $${exact(allMicros)})`).count()).toBe(1);
    await shoot(page, 'spend');
    // Per tag: the earlier traffic is tagged "test", this test's requests are untagged.
    await page.getByRole('button', { name: 'Tag', exact: true }).click();
    const tagTable = page.getByRole('table', { name: 'Spend per tag' });
    await expect.poll(() => tagTable.getByRole('row').allTextContents()).toEqual([
      expect.stringMatching(/^Tag/),
      expect.stringMatching(/^test40/),
      expect.stringMatching(/^\(untagged\)7/),
    ]);

    // The CSV download is the usage report's CSV for the same days, byte for byte.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    const { stdout } = await promisify(execFile)(process.execPath, [join(REPOSITORY_ROOT, 'services/accounting/dist/cli/usage-report-main.js'), '--from', from, '--to', today, '--format', 'csv'], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: backends.databaseUrl },
    });
    expect(csv).toBe(stdout);
    expect(csv).toContain(`${KEY_ALIAS},`);

    await open('requests', 'Requests');
    const requestRows = page.getByRole('row').filter({ hasText: KEY_ALIAS });
    await expect.poll(() => requestRows.count()).toBe(3);
    const first = (await requestRows.first().textContent()) ?? '';
    expect(first).toContain('gpt-test');
    expect(first).toContain('openai/gpt-4.1-nano (gpt-test-primary)');
    expect(first).toContain('success');
    expect(first).toMatch(/\d+ ms/);
    await page.getByLabel('Model').selectOption('gpt-test-large');
    await expect.poll(() => page.getByRole('row').filter({ hasText: KEY_ALIAS }).count()).toBe(0);
    await page.getByLabel('Model').selectOption('');
    await shoot(page, 'requests');
  });

  test('the Models page shows each group, its deployments and their cooldowns as /model/info reports them', async () => {
    const info = await admin<{ data: Array<{ model_info: { id: string; cooling_down: boolean } }> }>('/model/info');
    expect(info.data.map((entry) => entry.model_info.id).sort()).toEqual(['gpt-large-dead', 'gpt-large-primary', 'gpt-test-primary']);
    await open('models', 'Models');
    for (const name of ['gpt-test', 'gpt-test-large']) await page.getByRole('heading', { level: 2, name, exact: true }).waitFor();
    for (const entry of info.data) {
      const row = page.getByRole('row').filter({ hasText: entry.model_info.id });
      expect(await row.textContent()).toContain(entry.model_info.cooling_down ? 'cooling down' : 'ready');
    }
    await shoot(page, 'models');
  });

  test('teams with members, users and organisations', async () => {
    await open('teams', 'Teams');
    await page.getByRole('button', { name: 'Members of Platform' }).click();
    const members = page.getByRole('dialog', { name: 'Members: Platform' });
    await members.getByRole('button', { name: 'Remove ada', exact: true }).waitFor();
    await members.getByLabel('User id').fill('cy');
    await members.getByRole('button', { name: 'Add member' }).click();
    await members.getByRole('button', { name: 'Remove cy', exact: true }).waitFor();
    const team = await admin<{ team_info: { members_with_roles: Array<{ user_id: string }> } }>('/team/info?team_id=platform');
    expect(team.team_info.members_with_roles.map((member) => member.user_id)).toContain('cy');
    await shoot(page, 'team-members');
    await members.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('button', { name: 'Edit Research' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit Research' });
    await edit.getByLabel('Requests per minute').fill('120');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'detached' });
    expect((await admin<{ team_info: { rpm_limit: number } }>('/team/info?team_id=research')).team_info.rpm_limit).toBe(120);
    await shoot(page, 'teams');
    await open('users', 'Users');
    await page.getByRole('button', { name: 'Edit grace@example.com' }).waitFor();
    await shoot(page, 'users');
    await open('organizations', 'Organisations');
    await page.getByRole('button', { name: 'Edit ACME' }).waitFor();
    await shoot(page, 'organizations');
  });

  test('blocking the key refuses its next call; unblock, regenerate and delete ask first', async () => {
    await open('keys', 'Keys');
    await page.getByRole('button', { name: `Block ${KEY_ALIAS}` }).click();
    await page.getByRole('button', { name: `Unblock ${KEY_ALIAS}` }).waitFor();
    const client = new OpenAI({ baseURL: `${stack.edgeUrl}/v1`, apiKey: newKey, maxRetries: 0 });
    await expect(client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'Hi' }] })).rejects.toMatchObject({ status: 401, code: 'key_blocked' });

    // Delete asks for confirmation; cancelling leaves the key alone.
    await page.getByRole('button', { name: 'Delete batch-jobs' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete batch-jobs?' });
    await confirm.waitFor();
    await shoot(page, 'key-delete-confirm');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect((await admin<{ keys: unknown[] }>('/key/list?key_alias=batch-jobs')).keys).toHaveLength(1);
    await page.getByRole('button', { name: 'Delete batch-jobs' }).click();
    await page.getByRole('dialog', { name: 'Delete batch-jobs?' }).getByRole('button', { name: 'Delete' }).click();
    await expect.poll(async () => (await admin<{ keys: unknown[] }>('/key/list?key_alias=batch-jobs')).keys.length).toBe(0);
    await expect.poll(() => page.getByRole('button', { name: 'Delete batch-jobs' }).count()).toBe(0);

    // Regenerate: a new value shown once; the old one stops working.
    await page.getByRole('button', { name: `Unblock ${KEY_ALIAS}` }).click();
    await page.getByRole('button', { name: `Block ${KEY_ALIAS}` }).waitFor();
    await page.getByRole('button', { name: `Regenerate ${KEY_ALIAS}` }).click();
    await page.getByRole('dialog', { name: `Regenerate ${KEY_ALIAS}?` }).getByRole('button', { name: 'Regenerate' }).click();
    const shown = page.getByRole('dialog', { name: 'The new key value' });
    await shown.waitFor();
    const regenerated = (await shown.getByTestId('new-key').textContent()) ?? '';
    expect(regenerated).toMatch(/^sk-/);
    expect(regenerated).not.toBe(newKey);
    await shown.getByRole('button', { name: 'I have copied it' }).click();
    await expect(client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'Hi' }] })).rejects.toMatchObject({ status: 401 });
  });

  test('works on a phone-sized screen', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const phonePage = await phone.newPage();
    watch(phonePage);
    await phonePage.goto(`${stack.edgeUrl}/ui/`);
    await phonePage.getByLabel('Admin key').fill(MASTER_KEY);
    await phonePage.getByLabel('Admin key').press('Enter');
    await phonePage.getByRole('heading', { level: 1, name: 'Keys' }).waitFor();
    // No sideways scrolling: the table turns into one card per key.
    expect(await phonePage.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await phonePage.getByRole('button', { name: 'Menu' }).click();
    await phonePage.getByRole('link', { name: 'Spend' }).click();
    await phonePage.getByRole('heading', { level: 1, name: 'Spend' }).waitFor();
    await phonePage.getByTestId('spend-chart').locator('canvas').waitFor();
    expect(await phonePage.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shoot(phonePage, 'phone-spend');
    await phone.close();
  });

  test('is usable from the keyboard alone', async () => {
    await open('keys', 'Keys');
    // Tab reaches the navigation, Enter follows a link, Escape closes a dialog.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string | undefined>('document.activeElement?.textContent')).toBe('Keys');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Teams' }).waitFor();
    await page.getByRole('button', { name: 'New team' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'New team' });
    await dialog.waitFor();
    expect(await page.evaluate<boolean>(`document.activeElement?.closest('dialog') != null`)).toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  test('signs out: the key is forgotten and the sign-in form is back, with no console errors all along', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sluice console' }).waitFor();
    expect(await page.evaluate<string | null>(`sessionStorage.getItem('sluice.console.key')`)).toBeNull();
    await page.reload();
    await page.getByRole('heading', { name: 'Sluice console' }).waitFor();
    expect(consoleErrors).toEqual([]);
  });
});
