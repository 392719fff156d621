// `npm start` on a machine with Postgres, Redis and NATS: the launcher runs the four services as child
// processes, restarts one that crashes, and stops all of them on Ctrl-C (SIGINT) with exit code 0.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import {
  createTestBackends,
  type FakeProvider,
  freePorts,
  REPOSITORY_ROOT,
  replayOpenAiFixture,
  startFakeProvider,
  type TestBackends,
  writeConfigFile,
} from '@sluice/testing';
import { waitFor } from './helpers/wait-for.js';

let fake: FakeProvider | undefined;
let backends: TestBackends | undefined;
let launcher: ChildProcess | undefined;

afterAll(async () => {
  if (launcher && launcher.exitCode === null) launcher.kill('SIGKILL');
  await fake?.close();
  await backends?.cleanup();
});

/** Pids of the launcher's children, by service name, read from /proc. */
function children(parent: number): Record<string, number> {
  const found: Record<string, number> = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      if (Number(/PPid:\s+(\d+)/.exec(status)?.[1]) !== parent) continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const service = /services\/(\w+)\/dist\/main\.js/.exec(command)?.[1];
      if (service) found[service] = Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

test('the launcher supervises four processes, restarts a crashed one, and stops them all on SIGINT', async () => {
  fake = await startFakeProvider(replayOpenAiFixture('openai__chat__openai-text'));
  backends = await createTestBackends('launcher');
  const config = writeConfigFile({
    model_list: [{ model_name: 'gpt-test', litellm_params: { model: 'openai/gpt-4.1-nano', api_base: `${fake.url}/v1`, api_key: 'sk-up' } }],
    general_settings: { master_key: 'sk-launcher' },
  });
  const [edge, edgeMetrics, policy, policyHttp, router, routerHttp, accounting, accountingHttp] = await freePorts(8);
  launcher = spawn(process.execPath, [join(REPOSITORY_ROOT, 'packages/launcher/dist/main.js'), '--config', config, '--port', String(edge)], {
    env: {
      PATH: process.env.PATH ?? '',
      ...backends.env,
      SLUICE_EDGE_METRICS_PORT: String(edgeMetrics),
      SLUICE_POLICY_PORT: String(policy),
      SLUICE_POLICY_HTTP_PORT: String(policyHttp),
      SLUICE_ROUTER_PORT: String(router),
      SLUICE_ROUTER_HTTP_PORT: String(routerHttp),
      SLUICE_ACCOUNTING_PORT: String(accounting),
      SLUICE_ACCOUNTING_HTTP_PORT: String(accountingHttp),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  for (const stream of [launcher.stdout!, launcher.stderr!]) stream.setEncoding('utf8').on('data', (text: string) => lines.push(...text.split('\n')));
  await waitFor(() => lines.some((line) => line.includes('Sluice is ready')), { timeoutMs: 60_000, message: `not ready:\n${lines.join('\n')}` });
  expect(lines.find((line) => line.trim() !== '')).toMatch(/four services on Postgres, Redis and NATS/);

  const chat = () =>
    fetch(`http://127.0.0.1:${edge}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-launcher' },
      body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }),
    }).then(async (response) => ({ status: response.status, body: await response.text() }), () => ({ status: 0, body: '' }));
  expect((await chat()).status).toBe(200);
  // The edge's metrics are on the side port the launcher passed on, and that request is counted there.
  const scraped = await fetch(`http://127.0.0.1:${edgeMetrics}/metrics`).then((response) => response.text());
  expect(scraped).toMatch(/^sluice_requests_total\{[^}]*status="200"[^}]*\} 1$/m);

  const before = children(launcher.pid!);
  expect(Object.keys(before).sort()).toEqual(['accounting', 'edge', 'policy', 'router']);
  process.kill(before.router!, 'SIGKILL');
  await waitFor(() => {
    const now = children(launcher!.pid!);
    return now.router !== undefined && now.router !== before.router;
  }, { timeoutMs: 20_000, message: 'the crashed router was not restarted' });
  await waitFor(async () => (await chat()).status === 200, { timeoutMs: 20_000, intervalMs: 250 });

  // SIGHUP is passed on: every service reloads its config, and the launcher keeps running.
  const reloads = () => lines.filter((line) => line.includes('"SIGHUP: reloading the config file"')).length;
  launcher.kill('SIGHUP');
  await waitFor(() => reloads() === 4, { timeoutMs: 10_000, message: 'not every service reloaded on SIGHUP' });
  expect(launcher.exitCode).toBeNull();
  expect((await chat()).status).toBe(200);

  const exited = new Promise<number | null>((resolve) => launcher!.once('exit', (code) => resolve(code)));
  const running = Object.values(children(launcher.pid!));
  launcher.kill('SIGINT');
  expect(await exited).toBe(0);
  for (const pid of running) expect(() => process.kill(pid, 0)).toThrow();
});
