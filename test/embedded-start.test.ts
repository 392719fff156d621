// `npm start` on a machine with no Postgres, Redis or NATS: one process on embedded stand-ins (PGlite, an
// in-process bus, in-memory counters) that still serves a chat completion. The servers do answer on
// this machine, so --embedded forces the mode the launcher picks when they do not.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { type FakeProvider, REPOSITORY_ROOT, replayOpenAiFixture, startFakeProvider, writeConfigFile } from '@sluice/testing';

let fake: FakeProvider | undefined;
let launcher: ChildProcess | undefined;

afterAll(async () => {
  if (launcher && launcher.exitCode === null) launcher.kill('SIGKILL');
  await fake?.close();
});

test('embedded mode serves a chat completion and stops cleanly on SIGINT', async () => {
  fake = await startFakeProvider(replayOpenAiFixture('openai__chat__openai-text'));
  const config = writeConfigFile({
    model_list: [{ model_name: 'gpt-test', litellm_params: { model: 'openai/gpt-4.1-nano', api_base: `${fake.url}/v1`, api_key: 'sk-up' } }],
    general_settings: { master_key: 'sk-embedded' },
  });
  const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
  launcher = spawn(process.execPath, [join(REPOSITORY_ROOT, 'packages/launcher/dist/main.js'), '--embedded', '--config', config, '--port', '0'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready:\n${lines.join('\n')}`)), 60_000);
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
  const url = await ready;
  expect(lines[0]).toMatch(/embedded mode/);

  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-embedded' },
    body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { usage: { completion_tokens: number } };
  expect(body.usage.completion_tokens).toBe(363);

  // The edge's metrics are on its own side port (any free one in embedded mode), not on the API port.
  const edgeReady = lines
    .filter((line) => line.startsWith('{') && line.includes('"edge ready"'))
    .map((line) => JSON.parse(line) as { msg?: string; port?: number; httpPort?: number })
    .find((record) => record.msg === 'edge ready');
  expect(edgeReady?.httpPort).toBeGreaterThan(0);
  expect(edgeReady?.httpPort).not.toBe(edgeReady?.port);
  const scraped = await fetch(`http://127.0.0.1:${edgeReady!.httpPort}/metrics`).then((answer) => answer.text());
  expect(scraped).toMatch(/^sluice_requests_total\{[^}]*status="200"[^}]*\} 1$/m);
  expect((await fetch(`${url}/metrics`)).status).toBe(404);

  // The request reaches the PGlite ledger, and the spend API answers from it.
  const logs = async () => {
    const answer = await fetch(`${url}/spend/logs`, { headers: { authorization: 'Bearer sk-embedded' } });
    return (await answer.json()) as Array<{ completion_tokens: number; spend_micros: number }>;
  };
  const deadline = Date.now() + 20_000;
  while ((await logs()).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  const rows = await logs();
  expect(rows).toHaveLength(1);
  expect(rows[0]!.completion_tokens).toBe(363);
  expect(rows[0]!.spend_micros).toBeGreaterThan(0);

  // Live reload in the one process: a model added to the file answers without a restart, on every service.
  const chat = (model: string) =>
    fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-embedded' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
    });
  expect((await chat('added-live')).status).toBe(404);
  writeFileSync(
    config,
    JSON.stringify({
      model_list: ['gpt-test', 'added-live'].map((name) => ({ model_name: name, litellm_params: { model: 'openai/gpt-4.1-nano', api_base: `${fake!.url}/v1`, api_key: 'sk-up' } })),
      general_settings: { master_key: 'sk-embedded' },
    }),
  );
  const reloaded = Date.now() + 10_000;
  while (!lines.some((line) => line.includes('"config reloaded"')) && Date.now() < reloaded) await new Promise((resolve) => setTimeout(resolve, 100));
  expect((await chat('added-live')).status).toBe(200);

  const exited = new Promise<number | null>((resolve) => launcher!.once('exit', (code) => resolve(code)));
  launcher.kill('SIGINT');
  expect(await exited).toBe(0);
});
