// Claude on Vertex AI: Messages clients get their bytes through :rawPredict / :streamRawPredict (model cut
// out, anthropic_version in), every recorded Anthropic stream and answer passes through whole, in 7-byte
// pieces and byte by byte; chat clients are translated; cache reads and writes are priced apart.
import { CallType } from '@sluice/proto';
import { createPriceBook, finalCostNanos } from '@sluice/pricing';
import { listFixtures, loadStreamPayloads } from '@sluice/testing';
import { describe, expect, test } from 'vitest';
import { adapterForCall } from '../inbound/adapter-for-call.js';
import type { AdapterContext } from '../provider-adapter.js';
import { deploymentAdapter, providerFor } from '../provider-registry.js';
import { decodeSse, recordedAnthropicStreams } from '../testing/anthropic-events.test-support.js';
import { anthropicSseBytes, replayThreeWays, testContext, testDeployment } from '../testing/contract-replay.test-support.js';
import { createVertexClaudeAdapter } from './create-vertex-claude-adapter.js';
import { spliceVertexClaudeBody } from './vertex-claude-body.js';

const deployment = testDeployment('vertex_ai', 'claude-sonnet-4-5@20250929', {
  apiBase: 'https://us-east5-aiplatform.googleapis.com',
  params: { model: 'vertex_ai/claude-sonnet-4-5@20250929', vertex_project: 'proj-1', vertex_location: 'us-east5' },
});
const claude = createVertexClaudeAdapter(async () => 'ya29.token');
const messagesContext = (overrides: Partial<AdapterContext> = {}) =>
  testContext(deployment, { callType: CallType.CALL_TYPE_ANTHROPIC_MESSAGES, includeUsage: false, body: { model: 'claude' }, ...overrides });
const BASE = '/v1/projects/proj-1/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929';

describe('Vertex AI deployments', () => {
  test('Claude models get the Anthropic adapter (native for Messages), Gemini models the Gemini one', () => {
    const entry = providerFor('vertex_ai')!;
    const vertexClaude = entry.adapterFor!(deployment);
    expect(vertexClaude).not.toBe(entry.adapter);
    expect(adapterForCall(vertexClaude, CallType.CALL_TYPE_ANTHROPIC_MESSAGES)).toBe(vertexClaude);
    expect(entry.adapterFor!(testDeployment('vertex_ai', 'gemini-2.5-pro'))).toBe(entry.adapter);
    // Requests and health checks alike call a deployment with its own adapter.
    expect(deploymentAdapter(deployment)).toBe(vertexClaude);
    expect(deploymentAdapter(testDeployment('vertex_ai', 'gemini-2.5-pro'))).toBe(entry.adapter);
  });
});

describe('Messages clients of Claude on Vertex AI', () => {
  test('streamRawPredict with the client bytes: model cut out, anthropic_version in, cache_control byte for byte, betas as a header', async () => {
    const raw =
      '{\n  "model": "claude",\n  "max_tokens": 64,\n  "stream": true,\n' +
      '  "system": [{"type": "text", "text": "Stable preamble.", "cache_control": {"type": "ephemeral", "ttl": "1h"}}],\n' +
      '  "messages": [{"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": {"type":"ephemeral"}}]}]\n}';
    const body = JSON.parse(raw) as Record<string, unknown>;
    const request = await claude.buildRequest(
      messagesContext({ body, rawBody: Buffer.from(raw), clientHeaders: { 'anthropic-beta': 'extended-cache-ttl-2025-04-11', 'anthropic-version': '2023-06-01' } }),
      body,
    );
    expect(request.origin).toBe('https://us-east5-aiplatform.googleapis.com');
    expect(request.path).toBe(`${BASE}:streamRawPredict`);
    expect(request.headers.authorization).toBe('Bearer ya29.token');
    expect(request.headers['anthropic-beta']).toBe('extended-cache-ttl-2025-04-11');
    // Vertex takes the version in the body; the header would be refused.
    expect(request.headers['anthropic-version']).toBeUndefined();
    expect(request.headers['x-api-key']).toBeUndefined();
    // Only the model member goes (its whitespace stays): every other byte is the client's.
    expect(request.body!.toString()).toBe(raw.replace('{\n  "model": "claude",\n', '{"anthropic_version":"vertex-2023-10-16",\n  \n'));
    expect(JSON.parse(request.body!.toString())).toEqual({ anthropic_version: 'vertex-2023-10-16', ...body, model: undefined });

    const plain = await claude.buildRequest(messagesContext({ stream: false, body: { ...body, stream: false } }), { ...body, stream: false });
    expect(plain.path).toBe(`${BASE}:rawPredict`);
    expect(JSON.parse(plain.body as string)).toMatchObject({ anthropic_version: 'vertex-2023-10-16', system: body.system });
    expect(JSON.parse(plain.body as string)).not.toHaveProperty('model');
  });

  test.each([
    ['model first', '{"model":"c","max_tokens":1,"messages":[]}', '{"anthropic_version":"vertex-2023-10-16","max_tokens":1,"messages":[]}'],
    ['model last', '{"max_tokens":1,"messages":[] , "model" : "c" }', '{"anthropic_version":"vertex-2023-10-16","max_tokens":1,"messages":[] }'],
    ['model between', '{"max_tokens":1,"model":"c","messages":[]}', '{"anthropic_version":"vertex-2023-10-16","max_tokens":1,"messages":[]}'],
    ['model alone', ' { "model":"c" } ', ' {"anthropic_version":"vertex-2023-10-16" } '],
  ])('the body splice keeps valid JSON with the %s', (_name, raw, expected) => {
    const out = spliceVertexClaudeBody(Buffer.from(raw), JSON.parse(raw) as Record<string, unknown>)!.toString();
    expect(out).toBe(expected);
    expect(JSON.parse(out)).toMatchObject({ anthropic_version: 'vertex-2023-10-16' });
  });

  test('bytes that cannot be edited safely are re-serialized: the same JSON, cache_control untouched', async () => {
    const raw = '{"model":"claude","max_tokens":8,"messages":[{"role":"user","content":[{"type":"text","text":"Caf\\u00e9","cache_control":{"type":"ephemeral"}}]}]}';
    const body = JSON.parse(raw) as Record<string, unknown>;
    expect(spliceVertexClaudeBody(Buffer.from(raw), body)).toBeUndefined();
    const request = await claude.buildRequest(messagesContext({ stream: false, body, rawBody: Buffer.from(raw) }), body);
    const { model: _model, ...rest } = body;
    expect(JSON.parse(request.body as string)).toEqual({ anthropic_version: 'vertex-2023-10-16', ...rest });
  });

  const streams = recordedAnthropicStreams();

  test.each(streams.map((stream) => [stream.name, stream] as const))('%s: every event as recorded, however the bytes are cut', (_name, stream) => {
    const { whole, seven, single } = replayThreeWays(claude, () => messagesContext(), stream.bytes);
    expect(seven.payloads).toEqual(whole.payloads);
    expect(single.payloads).toEqual(whole.payloads);
    expect(decodeSse(whole.payloads.join('')).map((event) => event.data)).toEqual(stream.payloads);
    expect(whole.done).toBe(stream.payloads.some((payload) => payload.includes('"message_stop"')));
  });

  test('a non-streaming answer comes back as Anthropic wrote it; cache reads and writes counted apart', () => {
    const answer = {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5-20250929',
      content: [{ type: 'text', text: 'ok' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 10, cache_read_input_tokens: 1000, cache_creation_input_tokens: 2000, output_tokens: 5 },
    };
    const raw = Buffer.from(JSON.stringify(answer));
    const parsed = claude.parseResponse(messagesContext({ stream: false }), raw);
    expect(parsed.body).toBe(raw);
    expect(parsed.usage).toMatchObject({ promptTokens: 3010, cachedTokens: 1000, cacheCreationTokens: 2000, cacheWrite5mTokens: 2000 });
    // Priced from the Vertex price of the model: a write costs more than a read of as many tokens.
    const price = createPriceBook().priceFor(deployment);
    expect(price).toBeDefined();
    const read = finalCostNanos({ promptTokens: 1000, completionTokens: 0, cachedTokens: 1000, reasoningTokens: 0 }, price);
    const write = finalCostNanos({ promptTokens: 1000, completionTokens: 0, cachedTokens: 0, reasoningTokens: 0, cacheWrite5mTokens: 1000 }, price);
    const plainInput = finalCostNanos({ promptTokens: 1000, completionTokens: 0, cachedTokens: 0, reasoningTokens: 0 }, price);
    expect(read).toBeLessThan(plainInput);
    expect(write).toBeGreaterThan(plainInput);
  });

  test('errors in Anthropic\'s shape and in Google\'s are both classified', () => {
    const anthropicShape = claude.mapError(400, Buffer.from('{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: too big"}}'), {});
    expect(anthropicShape).toMatchObject({ code: 'upstream_bad_request', message: 'max_tokens: too big' });
    const googleShape = claude.mapError(
      429,
      Buffer.from('{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"Quota exceeded","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"3s"}]}}'),
      {},
    );
    expect(googleShape).toMatchObject({ code: 'upstream_rate_limited', retryAfterMs: 3000 });
  });
});

describe('chat clients of Claude on Vertex AI', () => {
  test('translated to Messages, anthropic_version in the body and no model; no anthropic-beta header', async () => {
    const body = { model: 'claude', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }], max_tokens: 20, stream: true };
    const context = testContext(deployment, { body, clientHeaders: { 'anthropic-beta': 'x' } });
    const request = await claude.buildRequest(context, body);
    expect(request.path).toBe(`${BASE}:streamRawPredict`);
    expect(request.headers['anthropic-beta']).toBeUndefined();
    expect(JSON.parse(request.body as string)).toEqual({
      anthropic_version: 'vertex-2023-10-16',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      max_tokens: 20,
      system: 'Be brief.',
      stream: true,
    });
  });

  test.each(listFixtures('vercel-ai', 'anthropic__anthropic-text', '.chunks.txt'))('%s: a chat stream, however the bytes are cut', (name) => {
    const payloads = loadStreamPayloads('vercel-ai', name);
    const { whole, seven, single } = replayThreeWays(claude, () => testContext(deployment), anthropicSseBytes(payloads));
    expect(seven.payloads).toEqual(whole.payloads);
    expect(single.payloads).toEqual(whole.payloads);
    expect(whole.payloads.some((payload) => payload.includes('"chat.completion.chunk"'))).toBe(true);
  });
});
