// Every recorded OpenAI-format chat and completion stream and answer in ../shared/fixtures, through the
// passthrough adapter (OpenAI and every compatible provider) and Azure's.
import { listFixtures, loadJsonFixture, loadStreamPayloads } from '@sluice/testing';
import { CallType } from '@sluice/proto';
import { describe, expect, test } from 'vitest';
import { createAzureProvider } from '../azure/create-azure-provider.js';
import { assemble, replayThreeWays, sseBytes, testContext, testDeployment } from '../testing/contract-replay.test-support.js';
import { createOpenAiCompatibleProvider } from './create-openai-compatible-provider.js';

const openai = createOpenAiCompatibleProvider();
const azure = createAzureProvider();
const deployment = testDeployment('openai', 'gpt-4.1-nano');

interface RecordedChunk {
  choices: Array<{ delta?: { content?: string | null; tool_calls?: unknown[] }; text?: string; finish_reason: string | null }>;
  usage?: { prompt_tokens: number; completion_tokens: number } | null;
}

const chatStreams = listFixtures('vercel-ai', 'openai__chat__', '.chunks.txt');
const completionStreams = listFixtures('vercel-ai', 'openai__completion__', '.chunks.txt');

describe('OpenAI-compatible streams pass through byte for byte', () => {
  test.each([...chatStreams, ...completionStreams])('%s', (name) => {
    const lines = loadStreamPayloads('vercel-ai', name);
    const callType = name.includes('__completion__') ? CallType.CALL_TYPE_COMPLETION : CallType.CALL_TYPE_CHAT_COMPLETION;
    for (const adapter of [openai, azure]) {
      const { whole, seven, single } = replayThreeWays(adapter, () => testContext(deployment, { callType }), sseBytes(lines, true));
      expect(seven.payloads).toEqual(whole.payloads);
      expect(single.payloads).toEqual(whole.payloads);
      expect(whole.done).toBe(true);
      // Forwarded untouched: every payload is a recorded line, in order; only choice-less, usage-less
      // chunks (Azure's content-filter preamble) are left out.
      const kept = lines.filter((line) => {
        const chunk = JSON.parse(line) as RecordedChunk;
        return chunk.choices.length > 0 || chunk.usage;
      });
      expect(whole.payloads).toEqual(kept);
      const recorded = lines.map((line) => JSON.parse(line) as RecordedChunk);
      const text = recorded.map((chunk) => chunk.choices[0]?.delta?.content ?? chunk.choices[0]?.text ?? '').join('');
      const outputs = whole.payloads.map((payload) => JSON.parse(payload) as RecordedChunk);
      expect(outputs.map((chunk) => chunk.choices[0]?.delta?.content ?? chunk.choices[0]?.text ?? '').join('')).toBe(text);
      const usage = recorded.find((chunk) => chunk.usage)?.usage;
      expect(whole.usage).toMatchObject({ promptTokens: usage!.prompt_tokens, completionTokens: usage!.completion_tokens });
      expect(whole.finishReason).toBe(recorded.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean).at(-1));
    }
  });

  test("Azure's first chunk (empty id and object, no choices, only prompt filter results) never reaches the client", () => {
    const lines = loadStreamPayloads('vercel-ai', 'openai__chat__azure-model-router.1');
    expect(JSON.parse(lines[0]!)).toMatchObject({ id: '', object: '', choices: [] });
    const { whole } = replayThreeWays(azure, () => testContext(deployment), sseBytes(lines, true));
    for (const payload of whole.payloads) expect(JSON.parse(payload)).toMatchObject({ object: 'chat.completion.chunk' });
    expect(assemble(whole.payloads).text.length).toBeGreaterThan(0);
  });

  test('the usage chunk the gateway asked for is hidden from a client that did not ask, but counted', () => {
    const lines = loadStreamPayloads('vercel-ai', 'openai__chat__openai-text');
    const { whole } = replayThreeWays(openai, () => testContext(deployment, { includeUsage: false }), sseBytes(lines, true));
    expect(whole.payloads).toHaveLength(lines.length - 1);
    expect(whole.payloads.some((payload) => payload.includes('"usage":{'))).toBe(false);
    expect(whole.usage?.completionTokens).toBeGreaterThan(0);
  });

  test('an error object in the stream fails it', () => {
    const mapper = openai.createStreamMapper(testContext(deployment));
    expect(() => mapper.map({ event: undefined, data: '{"error":{"message":"server overloaded"}}' })).toThrow(expect.objectContaining({ code: 'upstream_stream_error' }));
  });
});

describe('OpenAI-compatible answers', () => {
  test.each(['openai__chat__openai-text', 'openai__completion__openai-completion-text', 'openai__embedding__openai-embedding'])('%s is passed through with its usage', (name) => {
    const recorded = loadJsonFixture<{ usage: { prompt_tokens: number; completion_tokens?: number }; choices?: Array<{ finish_reason: string }> }>('vercel-ai', name);
    const raw = Buffer.from(JSON.stringify(recorded));
    const parsed = openai.parseResponse(testContext(deployment, { stream: false }), raw);
    expect(parsed.body).toBe(raw);
    expect(parsed.usage).toMatchObject({ promptTokens: recorded.usage.prompt_tokens, completionTokens: recorded.usage.completion_tokens ?? 0 });
    expect(parsed.finishReason).toBe(recorded.choices?.[0]?.finish_reason ?? '');
  });

  test.each(['openai__chat__reasoning-model-legacy-parameter-error', 'openai__responses__reasoning-model-temperature-error'])('%s is a 400 that keeps the provider message', (name) => {
    const raw = Buffer.from(JSON.stringify(loadJsonFixture('vercel-ai', name)));
    const failure = openai.mapError(400, raw, {});
    expect(failure.code).toBe('upstream_bad_request');
    expect(failure.message).toMatch(/^Unsupported parameter/);
  });

  test('the Responses API recordings are not chat streams (no /v1/responses route yet), so no adapter replays them', () => {
    const responses = [...listFixtures('vercel-ai', 'openai__responses__', '.chunks.txt'), ...listFixtures('vercel-ai', 'azure__', '.chunks.txt')];
    expect(responses.length).toBeGreaterThan(0);
    for (const name of responses) {
      expect(loadStreamPayloads('vercel-ai', name)[0]).toMatch(/^\{"type":"response\./);
    }
  });
});

describe('Azure URLs', () => {
  const chat = CallType.CALL_TYPE_CHAT_COMPLETION;
  test('classic form: deployment in the path, api-version in the query, key in api-key', async () => {
    const azureDeployment = testDeployment('azure', 'my-gpt4o', { apiBase: 'https://res.openai.azure.com/', params: { model: 'azure/my-gpt4o', api_version: '2024-06-01' } });
    const built = await azure.buildRequest(testContext(azureDeployment, { callType: chat }), { model: 'x', messages: [] });
    expect(built.origin).toBe('https://res.openai.azure.com');
    expect(built.path).toBe('/openai/deployments/my-gpt4o/chat/completions?api-version=2024-06-01');
    expect(built.headers['api-key']).toBe('sk-provider-key');
    expect(built.headers.authorization).toBeUndefined();
  });

  test('v1 form: the path follows /openai/v1 and no api-version is needed', async () => {
    const azureDeployment = testDeployment('azure', 'gpt-4o', { apiBase: 'https://res.openai.azure.com/openai/v1', params: { model: 'azure/gpt-4o' } });
    const built = await azure.buildRequest(testContext(azureDeployment, { callType: CallType.CALL_TYPE_EMBEDDING, stream: false }), { model: 'x', input: 'a' });
    expect(built.path).toBe('/openai/v1/embeddings');
    expect(JSON.parse(built.body as string)).toMatchObject({ model: 'gpt-4o', input: 'a' });
  });
});
