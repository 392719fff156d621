// Messages and Responses requests reach Langfuse as chat completions do: one generation per request,
// named after its call type, with the prompt (system prompt first), the answer, usage and cost.
import {
  acceptedSpans,
  createTestBackends,
  type FakeLangfuse,
  type FakeProvider,
  type FakeResponse,
  loadJsonFixture,
  type RecordedRequest,
  type Stack,
  startFakeLangfuse,
  startFakeProvider,
  startStack,
  type TestBackends,
  writeConfigFile,
} from '@sluice/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { waitFor } from './helpers/wait-for.js';

const MASTER_KEY = 'sk-inbound-langfuse-master';
const KEYS = { publicKey: 'pk-lf-inbound', secretKey: 'sk-lf-inbound' };
const anthropicAnswer = loadJsonFixture<{ content: Array<{ text: string }> }>('vercel-ai', 'anthropic__anthropic-text');

function responder(recorded: RecordedRequest): FakeResponse {
  return recorded.path.endsWith('/messages') ? { json: anthropicAnswer } : { json: loadJsonFixture('vercel-ai', 'openai__chat__openai-text') };
}

let provider: FakeProvider;
let langfuse: FakeLangfuse;
let backends: TestBackends;
let stack: Stack;

beforeAll(async () => {
  provider = await startFakeProvider(responder);
  langfuse = await startFakeLangfuse(KEYS);
  backends = await createTestBackends('inbound-langfuse');
  const config = writeConfigFile({
    model_list: [
      { model_name: 'claude', litellm_params: { model: 'anthropic/claude-sonnet-4-5', api_base: provider.url, api_key: 'sk-ant-test' } },
      { model_name: 'compatible', litellm_params: { model: 'hosted_vllm/llama', api_base: `${provider.url}/v1`, api_key: 'sk-vllm', input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 } },
    ],
    litellm_settings: { success_callback: ['langfuse'], turn_off_message_logging: false },
    general_settings: { master_key: MASTER_KEY },
  });
  stack = await startStack({
    ...backends.env,
    SLUICE_CONFIG: config,
    LANGFUSE_HOST: langfuse.url,
    LANGFUSE_PUBLIC_KEY: KEYS.publicKey,
    LANGFUSE_SECRET_KEY: KEYS.secretKey,
    SLUICE_LEDGER_BATCH_WAIT_MS: '100',
  });
});

afterAll(async () => {
  await stack?.stop();
  await provider?.close();
  await langfuse?.close();
  await backends?.cleanup();
});

const post = async (path: string, body: Record<string, unknown>) => {
  const response = await fetch(`${stack.edgeUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status).toBe(200);
  await response.arrayBuffer();
  return response.headers.get('x-request-id')!;
};

test('a Messages and a Responses request each reach Langfuse as a generation with prompt, answer and usage', async () => {
  const messagesId = await post('/v1/messages', { model: 'claude', max_tokens: 32, system: 'SYSTEM-CANARY-M', messages: [{ role: 'user', content: 'PROMPT-CANARY-M' }] });
  const responsesId = await post('/v1/responses', { model: 'compatible', instructions: 'SYSTEM-CANARY-R', input: 'PROMPT-CANARY-R' });
  const spanOf = (id: string) => acceptedSpans(langfuse).find((span) => span.attributeMap['langfuse.observation.metadata.request_id'] === id);
  await waitFor(() => spanOf(messagesId) !== undefined && spanOf(responsesId) !== undefined, { timeoutMs: 30_000, message: 'traces never reached Langfuse' });
  expect(langfuse.invalid).toEqual([]);

  const messages = spanOf(messagesId)!.attributeMap;
  expect(messages['langfuse.trace.name']).toBe('sluice-anthropic_messages');
  expect(messages['langfuse.observation.type']).toBe('generation');
  expect(JSON.parse(messages['langfuse.observation.input'] as string)).toEqual([
    { role: 'system', content: 'SYSTEM-CANARY-M' },
    { role: 'user', content: 'PROMPT-CANARY-M' },
  ]);
  expect(messages['langfuse.observation.output']).toContain(anthropicAnswer.content[0]!.text);
  expect(JSON.parse(messages['langfuse.observation.usage_details'] as string).input).toBeGreaterThan(0);

  const responses = spanOf(responsesId)!.attributeMap;
  expect(responses['langfuse.trace.name']).toBe('sluice-responses');
  expect(JSON.parse(responses['langfuse.observation.input'] as string)).toEqual([
    { role: 'system', content: 'SYSTEM-CANARY-R' },
    { role: 'user', content: 'PROMPT-CANARY-R' },
  ]);
  expect(responses['langfuse.observation.output']).toContain('"object":"response"');
  expect(JSON.parse(responses['langfuse.observation.cost_details'] as string).total).toBeGreaterThan(0);
});
