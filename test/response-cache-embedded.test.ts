// Embedded mode (no Redis): the response cache lives in the process, and keys with
// allowed_cache_controls work on PGlite.
import { afterAll, expect, test } from 'vitest';
import { type FakeProvider, replayOpenAiFixture, startFakeProvider, writeConfigFile } from '@sluice/testing';
import { type EmbeddedLauncher, startEmbedded } from './helpers/embedded-launcher.js';
import { waitFor } from './helpers/wait-for.js';

let fake: FakeProvider | undefined;
let launcher: EmbeddedLauncher | undefined;

afterAll(async () => {
  if (launcher && launcher.child.exitCode === null) launcher.child.kill('SIGKILL');
  await fake?.close();
});

test('embedded mode caches responses in the process and checks allowed_cache_controls', async () => {
  fake = await startFakeProvider(replayOpenAiFixture('openai__chat__openai-text'));
  const config = writeConfigFile({
    model_list: [{ model_name: 'gpt-test', litellm_params: { model: 'openai/gpt-4.1-nano', api_base: `${fake.url}/v1`, api_key: 'sk-up' } }],
    litellm_settings: { cache: true, cache_params: { type: 'redis', ttl: 60 } },
    general_settings: { master_key: 'sk-embedded' },
  });
  launcher = await startEmbedded(config);
  expect(launcher.lines.some((line) => line.includes('response cache on') && line.includes('"store":"memory"'))).toBe(true);
  const chat = (key: string, body: Record<string, unknown> = {}) =>
    fetch(`${launcher!.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], ...body }),
    });

  const miss = await chat('sk-embedded');
  expect(miss.status).toBe(200);
  expect(miss.headers.get('x-sluice-cache')).toBe('miss');
  const missBody = await miss.json();
  // The store happens just after the response; the next identical request finds it.
  let hit: Response | undefined;
  await waitFor(async () => {
    hit = await chat('sk-embedded');
    return hit.headers.get('x-sluice-cache') === 'hit';
  });
  expect(await hit!.json()).toEqual(missBody);
  const calls = fake.requests.length;
  const again = await chat('sk-embedded', { stream: true });
  expect(again.headers.get('x-sluice-cache')).toBe('hit');
  expect(await again.text()).toMatch(/data: \[DONE\]\n\n$/);
  expect(fake.requests.length).toBe(calls);

  const generated = await fetch(`${launcher.url}/key/generate`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-embedded', 'content-type': 'application/json' },
    body: JSON.stringify({ allowed_cache_controls: ['no-cache'] }),
  });
  expect(generated.status).toBe(200);
  const { key } = (await generated.json()) as { key: string };
  const refused = await chat(key, { cache: { 'no-store': true } });
  expect(refused.status).toBe(403);
  expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('cache_control_not_allowed');

  expect(await launcher.stop()).toBe(0);
});
