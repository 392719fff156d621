// Two `npm start`s on one host: the launcher picks its children's internal ports, so the second gateway
// needs only another --port; a port that is taken ends start-up with one readable line, no stack trace.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
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

const launchers: ChildProcess[] = [];
let fake: FakeProvider | undefined;
let backends: TestBackends | undefined;
let squatter: Server | undefined;

afterAll(async () => {
  for (const launcher of launchers) {
    if (launcher.exitCode !== null || launcher.signalCode !== null) continue;
    launcher.kill('SIGINT');
    await new Promise((resolve) => {
      const timer = setTimeout(() => launcher.kill('SIGKILL'), 15_000);
      launcher.once('exit', () => resolve(clearTimeout(timer)));
    });
  }
  await new Promise((resolve) => (squatter ? squatter.close(resolve) : resolve(undefined)));
  await fake?.close();
  await backends?.cleanup();
});

function launch(config: string, port: number): { child: ChildProcess; lines: string[]; stderr: string[] } {
  // No internal port variables: the launcher must choose them.
  const child = spawn(process.execPath, [join(REPOSITORY_ROOT, 'packages/launcher/dist/main.js'), '--config', config, '--port', String(port)], {
    env: { PATH: process.env.PATH ?? '', ...backends!.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  launchers.push(child);
  const lines: string[] = [];
  const stderr: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (text: string) => lines.push(...text.split('\n')));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    const parts = text.split('\n');
    lines.push(...parts);
    stderr.push(...parts);
  });
  return { child, lines, stderr };
}

/** Holds the default router port (4020), as a first gateway on this host would; already taken is as good. */
async function occupyDefaultRouterPort(): Promise<void> {
  await new Promise<void>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve());
    server.listen(4020, '127.0.0.1', () => {
      squatter = server;
      resolve();
    });
  });
}

test('with the default internal ports taken a gateway still starts; the --port of a running one fails in one line', async () => {
  fake = await startFakeProvider(replayOpenAiFixture('openai__chat__openai-text'));
  backends = await createTestBackends('launcherports');
  const config = writeConfigFile({
    model_list: [{ model_name: 'gpt-test', litellm_params: { model: 'openai/gpt-4.1-nano', api_base: `${fake.url}/v1`, api_key: 'sk-up' } }],
    general_settings: { master_key: 'sk-launcher-ports' },
  });
  await occupyDefaultRouterPort();
  const [port] = await freePorts(1);
  const first = launch(config, port!);
  await waitFor(() => first.lines.some((line) => line.includes('Sluice is ready')), { timeoutMs: 60_000, message: `not ready:\n${first.lines.join('\n')}` });
  const starting = JSON.parse(first.lines.find((line) => line.includes('sluice starting'))!) as { internalPorts: Record<string, number> };
  expect(Object.keys(starting.internalPorts)).toContain('SLUICE_ROUTER_PORT');
  expect(starting.internalPorts.SLUICE_ROUTER_PORT).not.toBe(4020);
  const response = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-launcher-ports' },
    body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }),
  });
  expect(response.status).toBe(200);

  const second = launch(config, port!);
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => resolve(-1), 30_000);
    second.child.once('exit', (exitCode) => resolve(clearTimeout(timer) ?? exitCode));
  });
  expect(code).toBe(1);
  const output = second.lines.join('\n');
  expect(output).toContain(`sluice: cannot listen on 127.0.0.1:${port}: the address is already in use`);
  // It never claimed to be ready (the other gateway answers on that port).
  expect(output).not.toContain('Sluice is ready');
  // No stack trace anywhere, and the failure is one line.
  expect(output).not.toMatch(/^\s+at /m);
  expect(second.stderr.filter((line) => line.includes('cannot listen'))).toHaveLength(1);
  // The first gateway is untouched.
  expect(first.child.exitCode).toBeNull();
});
