// Keys, limits and budgets in embedded mode (one process, PGlite, in-process bus, no Redis): the
// in-process limit store and invalidations behind the same interfaces as the Redis ones.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type FakeProvider, REPOSITORY_ROOT, replayOpenAiFixture, startFakeProvider, writeConfigFile } from '@sluice/testing';
import { request } from './helpers/policy-stack.js';
import { waitFor } from './helpers/wait-for.js';

const MASTER_KEY = 'sk-embedded-policy';
let fake: FakeProvider;
let launcher: ChildProcess | undefined;
let url: string;

beforeAll(async () => {
  fake = await startFakeProvider(replayOpenAiFixture('openai__chat__openai-text'));
  const config = writeConfigFile({
    model_list: [
      {
        model_name: 'gpt-test',
        litellm_params: { model: 'openai/gpt-4.1-nano', api_base: `${fake.url}/v1`, api_key: 'sk-up', input_cost_per_token: 0.00001, output_cost_per_token: 0.0001 },
      },
    ],
    general_settings: { master_key: MASTER_KEY },
  });
  launcher = spawn(process.execPath, [join(REPOSITORY_ROOT, 'packages/launcher/dist/main.js'), '--embedded', '--config', config, '--port', '0'], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready:\n${lines.join('\n')}`)), 90_000);
    const onData = (text: string) => {
      for (const line of text.split('\n').filter(Boolean)) {
        lines.push(line);
        const match = /Sluice is ready: (http:\/\/[^"\s]+)\/v1/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      }
    };
    launcher!.stdout!.setEncoding('utf8').on('data', onData);
    launcher!.stderr!.setEncoding('utf8').on('data', onData);
  });
});

afterAll(async () => {
  if (launcher && launcher.exitCode === null) {
    const exited = new Promise((resolve) => launcher!.once('exit', resolve));
    launcher.kill('SIGINT');
    await exited;
  }
  await fake?.close();
});

const admin = (method: 'GET' | 'POST', path: string, body?: unknown) =>
  request(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const chat = (key: string) =>
  request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: 'gpt-test', max_tokens: 400, messages: [{ role: 'user', content: 'hi' }] }),
  });

test('generated keys, rpm limits, live spend, budgets and blocking work without Redis', async () => {
  const limited = (await admin('POST', '/key/generate', { rpm_limit: 2 })).body;
  expect((await chat(limited.key)).status).toBe(200);
  const second = await chat(limited.key);
  expect(second.status).toBe(200);
  expect(second.headers.get('x-ratelimit-remaining-requests')).toBe('0');
  const refused = await chat(limited.key);
  expect(refused.status).toBe(429);
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);

  // One call costs 16 x 10 + 363 x 100 micro-USD; its worst case (400 output tokens) is about 0.04 USD.
  const budgeted = (await admin('POST', '/key/generate', { max_budget: 0.06 })).body;
  expect((await chat(budgeted.key)).status).toBe(200);
  await waitFor(async () => (await admin('GET', `/key/info?key=${budgeted.key}`)).body.info.spend_micros === 36_460, { timeoutMs: 10_000 });
  const overBudget = await chat(budgeted.key);
  expect(overBudget.status).toBe(400);
  expect(overBudget.body.error.code).toBe('budget_exceeded');

  await admin('POST', '/key/block', { key: limited.key });
  expect((await chat(limited.key)).body.error.code).toBe('key_blocked');
});
