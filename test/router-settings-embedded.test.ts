// Router settings through the whole gateway (embedded mode; only the providers are fake):
// litellm_settings.default_model (a request that names no model goes to the default model group, one that
// names a model keeps it, and a key may only reach the default model when it is allowed that model), and
// a deployment at its rpm answering as LiteLLM does: 429, OpenAI-shaped, with Retry-After.
import { type FakeProvider, startFakeProvider, writeConfigFile } from '@sluice/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type EmbeddedLauncher, startEmbedded } from './helpers/embedded-launcher.js';

const ANSWER = { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'fine' }, finish_reason: 'stop' }], usage: { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5 } };
const MASTER = 'sk-default-model';
const fakes: Record<string, FakeProvider> = {};
let launcher: EmbeddedLauncher | undefined;

beforeAll(async () => {
  for (const name of ['main', 'other', 'limited']) fakes[name] = await startFakeProvider(() => ({ json: ANSWER }));
  const config = writeConfigFile({
    model_list: ['main', 'other', 'limited'].map((name) => ({
      model_name: name,
      litellm_params: {
        model: `openai/gpt-4o-${name}`,
        api_base: `${fakes[name]!.url}/v1`,
        api_key: 'sk-up',
        input_cost_per_token: 0.000001,
        output_cost_per_token: 0.000002,
        ...(name === 'limited' ? { rpm: 1 } : {}),
      },
    })),
    litellm_settings: { default_model: 'main' },
    general_settings: { master_key: MASTER },
  });
  launcher = await startEmbedded(config);
});

afterAll(async () => {
  if (launcher && launcher.child.exitCode === null) launcher.child.kill('SIGKILL');
  for (const fake of Object.values(fakes)) await fake.close();
});

const chat = (key: string, body: Record<string, unknown>) =>
  fetch(`${launcher!.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], ...body }),
  });

test('a request without a model is served by litellm_settings.default_model', async () => {
  const answered = await chat(MASTER, {});
  expect(answered.status).toBe(200);
  expect(fakes.main!.requests).toHaveLength(1);
  expect((fakes.main!.requests[0]!.body as { model: string }).model).toBe('gpt-4o-main');
  expect((await chat(MASTER, { model: null })).status).toBe(200);
  expect(fakes.main!.requests).toHaveLength(2);

  // A model the client names wins.
  expect((await chat(MASTER, { model: 'other' })).status).toBe(200);
  expect(fakes.other!.requests).toHaveLength(1);
  expect(fakes.main!.requests).toHaveLength(2);
});

test('the default model is subject to the key’s model access', async () => {
  const generated = await fetch(`${launcher!.url}/key/generate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
    body: JSON.stringify({ models: ['other'] }),
  });
  expect(generated.status).toBe(200);
  const { key } = (await generated.json()) as { key: string };
  const refused = await chat(key, {});
  expect(refused.status).toBe(403);
  expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('model_not_allowed');
  expect(fakes.main!.requests).toHaveLength(2);
  expect((await chat(key, { model: 'other' })).status).toBe(200);
});

test('a group whose deployments are all at their rpm answers 429 with Retry-After', async () => {
  expect((await chat(MASTER, { model: 'limited' })).status).toBe(200);
  const refused = await chat(MASTER, { model: 'limited' });
  expect(refused.status).toBe(429);
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  const { error } = (await refused.json()) as { error: { code: string; type: string; message: string } };
  expect(error.code).toBe('deployment_limits_reached');
  expect(error.type).toBe('rate_limit_error');
  expect(error.message).toContain('No deployments available for selected model');
  expect(fakes.limited!.requests).toHaveLength(1);
  expect(await launcher!.stop()).toBe(0);
});
