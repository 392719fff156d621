// The Vercel AI SDK pointed at the gateway: its Anthropic provider on /v1/messages and its OpenAI
// Responses model on /v1/responses, each against an Anthropic deployment and an OpenAI one (native on
// one side, translated on the other), generating and streaming.
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createTestBackends,
  type FakeProvider,
  type FakeResponse,
  loadJsonFixture,
  loadStreamPayloads,
  loadTextFixture,
  type RecordedRequest,
  type Stack,
  startFakeProvider,
  startStack,
  type TestBackends,
  writeConfigFile,
} from '@sluice/testing';

const MASTER_KEY = 'sk-e2e-master';
const RESPONSES = 'openai__responses__openai-reasoning-encrypted-content.1';
const responsesStream = loadStreamPayloads('vercel-ai', RESPONSES);
const deltas = (lines: string[], type: string, field: string) =>
  lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((event) => event.type === type).map((event) => event[field] as string).join('');
const responsesAnswerText = (loadJsonFixture<{ output: Array<{ type: string; content?: Array<{ text: string }> }> }>('vercel-ai', RESPONSES).output.find((item) => item.type === 'message')!.content![0]!.text);
const chatText = loadJsonFixture<{ choices: Array<{ message: { content: string } }> }>('vercel-ai', 'openai__chat__openai-text').choices[0]!.message.content;
const chatStreamText = loadStreamPayloads('vercel-ai', 'openai__chat__openai-text').map((line) => (JSON.parse(line) as { choices: Array<{ delta?: { content?: string } }> }).choices[0]?.delta?.content ?? '').join('');
const anthropicText = loadJsonFixture<{ content: Array<{ text: string }> }>('vercel-ai', 'anthropic__anthropic-text').content[0]!.text;

// The OpenAI fake answers chat completions (for Messages clients) and Responses (for Responses clients).
function openAiResponder(request: RecordedRequest): FakeResponse {
  const body = request.body as { stream?: boolean };
  if (request.path.endsWith('/responses')) {
    if (body.stream) return { pieces: responsesStream.map((line) => `event: ${(JSON.parse(line) as { type: string }).type}\ndata: ${line}\n\n`) };
    return { json: loadJsonFixture('vercel-ai', RESPONSES) };
  }
  if (body.stream) return { sse: loadStreamPayloads('vercel-ai', 'openai__chat__openai-text') };
  return { json: loadJsonFixture('vercel-ai', 'openai__chat__openai-text') };
}

function anthropicResponder(request: RecordedRequest): FakeResponse {
  const body = request.body as { stream?: boolean };
  if (body.stream) return { pieces: [loadTextFixture('anthropic', 'lib__fixtures__basic_response.txt')] };
  return { json: loadJsonFixture('vercel-ai', 'anthropic__anthropic-text') };
}

let openAiFake: FakeProvider;
let anthropicFake: FakeProvider;
let backends: TestBackends;
let stack: Stack;

beforeAll(async () => {
  openAiFake = await startFakeProvider(openAiResponder);
  anthropicFake = await startFakeProvider(anthropicResponder);
  backends = await createTestBackends('vercelai');
  const config = writeConfigFile({
    model_list: [
      { model_name: 'gpt', litellm_params: { model: 'openai/gpt-5', api_base: `${openAiFake.url}/v1`, api_key: 'sk-oai-test' } },
      { model_name: 'claude', litellm_params: { model: 'anthropic/claude-sonnet-4-5', api_base: anthropicFake.url, api_key: 'sk-ant-test' } },
    ],
    general_settings: { master_key: MASTER_KEY },
  });
  stack = await startStack({ ...backends.env, SLUICE_CONFIG: config });
});

afterAll(async () => {
  await stack?.stop();
  await openAiFake?.close();
  await anthropicFake?.close();
  await backends?.cleanup();
});

describe("the AI SDK's Anthropic provider", () => {
  const cases = [
    { model: 'claude', kind: 'Anthropic-native', text: anthropicText, streamed: 'Hello there!', fake: () => anthropicFake, path: '/v1/messages' },
    { model: 'gpt', kind: 'OpenAI-compatible (translated)', text: chatText, streamed: chatStreamText, fake: () => openAiFake, path: '/v1/chat/completions' },
  ] as const;
  test.each(cases)('$kind: generateText and streamText', async ({ model, text, streamed, fake, path }) => {
    const anthropic = createAnthropic({ baseURL: `${stack.edgeUrl}/v1`, apiKey: MASTER_KEY });
    const generated = await generateText({ model: anthropic(model), prompt: 'Hello?', maxRetries: 0 });
    expect(generated.text).toBe(text);
    expect(generated.finishReason).toBe('stop');
    expect(generated.usage.outputTokens).toBeGreaterThan(0);
    expect(fake().requests.at(-1)!.path).toBe(path);
    const stream = streamText({ model: anthropic(model), prompt: 'Hello?', maxRetries: 0 });
    let collected = '';
    for await (const delta of stream.textStream) collected += delta;
    expect(collected).toBe(streamed);
    expect(await stream.finishReason).toBe('stop');
  });
});

describe("the AI SDK's OpenAI Responses model", () => {
  const cases = [
    // The recorded stream ends with a function call as well as its text.
    { model: 'gpt', kind: 'OpenAI-native', text: responsesAnswerText, streamed: deltas(responsesStream, 'response.output_text.delta', 'delta'), finish: 'tool-calls', fake: () => openAiFake, path: '/v1/responses' },
    { model: 'claude', kind: 'Anthropic (translated)', text: anthropicText, streamed: 'Hello there!', finish: 'stop', fake: () => anthropicFake, path: '/v1/messages' },
  ] as const;
  test.each(cases)('$kind: generateText and streamText', async ({ model, text, streamed, finish, fake, path }) => {
    const openai = createOpenAI({ baseURL: `${stack.edgeUrl}/v1`, apiKey: MASTER_KEY });
    const generated = await generateText({ model: openai.responses(model), prompt: 'What is (12 + 7) * 3 * 10?', maxRetries: 0 });
    expect(generated.text).toBe(text);
    expect(generated.usage.outputTokens).toBeGreaterThan(0);
    expect(fake().requests.at(-1)!.path).toBe(path);
    const stream = streamText({ model: openai.responses(model), prompt: 'What is (12 + 7) * 3 * 10?', maxRetries: 0 });
    let collected = '';
    for await (const delta of stream.textStream) collected += delta;
    expect(collected).toBe(streamed);
    expect(await stream.finishReason).toBe(finish);
  });
});
