// Every recorded Anthropic stream and answer in ../shared/fixtures, replayed through the adapter.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_DIR, listFixtures, loadJsonFixture, loadStreamPayloads, loadTextFixture } from '@sluice/testing';
import { describe, expect, test } from 'vitest';
import { assemble, anthropicSseBytes, replayThreeWays, testContext, testDeployment } from '../testing/contract-replay.test-support.js';
import { createAnthropicProvider } from './create-anthropic-provider.js';
import { mapAnthropicFinishReason } from './map-anthropic-finish-reason.js';

const adapter = createAnthropicProvider();
const deployment = testDeployment('anthropic', 'claude-sonnet-4-5');

interface Event {
  type: string;
  index?: number;
  message?: { id: string; usage?: Record<string, number> };
  content_block?: { type: string; id?: string; name?: string };
  delta?: { type?: string; text?: string; partial_json?: string; thinking?: string; stop_reason?: string };
  usage?: Record<string, number>;
}

/** What the recording says, read with the simplest possible pass over its events. */
function expectedFrom(events: Event[]) {
  let text = '';
  let reasoning = '';
  const tools: Array<{ id: string; name: string; arguments: string }> = [];
  const seen = new Set<string>();
  let open = new Map<number, number>();
  let stopReason: string | undefined;
  const usage: Record<string, number> = {};
  for (const event of events) {
    if (event.type === 'message_start') {
      if (seen.has(event.message!.id)) continue;
      seen.add(event.message!.id);
      open = new Map();
      Object.assign(usage, event.message!.usage);
    }
    if (event.type === 'content_block_start') open.delete(event.index!);
    if (event.type === 'content_block_start' && event.content_block!.type === 'tool_use') {
      open.set(event.index!, tools.length);
      tools.push({ id: event.content_block!.id!, name: event.content_block!.name!, arguments: '' });
    }
    if (event.type === 'content_block_delta') {
      if (event.delta!.type === 'text_delta') text += event.delta!.text;
      if (event.delta!.type === 'thinking_delta') reasoning += event.delta!.thinking;
      const tool = open.get(event.index!);
      if (event.delta!.type === 'input_json_delta' && tool !== undefined) tools[tool]!.arguments += event.delta!.partial_json;
    }
    if (event.type === 'message_delta') {
      stopReason = event.delta!.stop_reason;
      for (const [key, value] of Object.entries(event.usage ?? {})) if (typeof value === 'number') usage[key] = value;
    }
  }
  for (const tool of tools) if (tool.arguments === '') tool.arguments = '{}';
  const prompt = (usage.input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0);
  return { text, reasoning, tools, finishReason: mapAnthropicFinishReason(stopReason), prompt, completion: usage.output_tokens ?? 0 };
}

/** Recorded streams: vercel-ai payload lines (re-framed) and raw SSE files from the Anthropic SDK. */
const streams: Array<{ name: string; bytes: Uint8Array; events: Event[] }> = [
  ...listFixtures('vercel-ai', 'anthropic__', '.chunks.txt').map((name) => {
    const payloads = loadStreamPayloads('vercel-ai', name);
    return { name, bytes: anthropicSseBytes(payloads), events: payloads.map((line) => JSON.parse(line) as Event) };
  }),
  ...readdirSync(join(FIXTURES_DIR, 'anthropic'))
    .filter((file) => file !== 'LICENSE')
    .map((file) => {
      const raw = loadTextFixture('anthropic', file);
      const events = raw
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => JSON.parse(line.slice('data: '.length)) as Event);
      return { name: `anthropic/${file}`, bytes: Buffer.from(raw), events };
    }),
];

describe('Anthropic streams', () => {
  test('every recording is replayed (a new fixture cannot be missed)', () => {
    expect(streams.length).toBeGreaterThanOrEqual(16);
  });

  test.each(streams.map((stream) => [stream.name, stream] as const))('%s: same chunks whole, in 7-byte pieces and byte by byte; matches the recording', (_name, stream) => {
    const { whole, seven, single } = replayThreeWays(adapter, () => testContext(deployment), stream.bytes);
    expect(seven.payloads).toEqual(whole.payloads);
    expect(single.payloads).toEqual(whole.payloads);
    expect(whole.done).toBe(true);

    const assembled = assemble(whole.payloads);
    const expected = expectedFrom(stream.events);
    expect(assembled.roles).toEqual(['assistant']);
    expect(assembled.text).toBe(expected.text);
    expect(assembled.reasoning).toBe(expected.reasoning);
    expect(assembled.toolCalls.map(({ id, name, arguments: args }) => ({ id, name, arguments: args }))).toEqual(expected.tools);
    expect(assembled.toolCalls.map((call) => call.index)).toEqual(expected.tools.map((_, index) => index));
    expect(assembled.finishReason).toBe(expected.finishReason);
    expect(assembled.usage).toEqual({ prompt_tokens: expected.prompt, completion_tokens: expected.completion, total_tokens: expected.prompt + expected.completion, prompt_tokens_details: expect.any(Object), completion_tokens_details: expect.any(Object) });
    expect(whole.usage?.completionTokens).toBe(expected.completion);
    // Every payload is a well-formed chunk of this request.
    for (const payload of whole.payloads) {
      expect(JSON.parse(payload)).toMatchObject({ id: 'chatcmpl-0190c3a0-0000-7000-8000-000000000001', object: 'chat.completion.chunk', model: 'claude-sonnet-4-5' });
    }
  });

  test('message_delta usage is cumulative: the last value wins, input_tokens included when it is sent', () => {
    const stream = streams.find((candidate) => candidate.name === 'anthropic__anthropic-message-delta-input-tokens')!;
    const { whole } = replayThreeWays(adapter, () => testContext(deployment), stream.bytes);
    expect(whole.usage).toEqual({ promptTokens: 61, completionTokens: 2, cachedTokens: 0, reasoningTokens: 0 });
  });

  test('a repeated message_start does not open a second message', () => {
    const stream = streams.find((candidate) => candidate.name === 'anthropic__duplicate-message-start')!;
    const { whole } = replayThreeWays(adapter, () => testContext(deployment), stream.bytes);
    const assembled = assemble(whole.payloads);
    expect(assembled.text).toBe('Hello, World!');
    expect(whole.usage).toEqual({ promptTokens: 17, completionTokens: 227, cachedTokens: 0, reasoningTokens: 0 });
  });

  test('refusal maps to content_filter; thinking tokens are reported as reasoning tokens', () => {
    const stream = streams.find((candidate) => candidate.name === 'anthropic/fixtures__fable-fallback__stream-a-refusal.sse')!;
    const { whole } = replayThreeWays(adapter, () => testContext(deployment), stream.bytes);
    expect(whole.finishReason).toBe('content_filter');
    expect(whole.usage).toEqual({ promptTokens: 28, completionTokens: 106, cachedTokens: 0, reasoningTokens: 67 });
  });

  test('without include_usage no usage chunk is sent, but usage is still known', () => {
    const stream = streams.find((candidate) => candidate.name === 'anthropic__anthropic-text')!;
    const { whole } = replayThreeWays(adapter, () => testContext(deployment, { includeUsage: false }), stream.bytes);
    expect(whole.payloads.some((payload) => payload.includes('"usage"'))).toBe(false);
    expect(whole.usage?.completionTokens).toBeGreaterThan(0);
  });

  test('ping is dropped wherever it comes; an error event after HTTP 200 fails the stream with its class', () => {
    const events = [
      '{"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":5,"output_tokens":1}}}',
      '{"type":"ping"}',
      '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
      '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}',
      '{"type":"ping"}',
    ];
    const context = testContext(deployment);
    const mapper = adapter.createStreamMapper(context);
    const out = events.flatMap((data) => mapper.map({ event: (JSON.parse(data) as { type: string }).type, data }));
    expect(out).toHaveLength(2);
    expect(() => mapper.map({ event: 'error', data: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}' })).toThrow(
      expect.objectContaining({ code: 'upstream_error' }),
    );
    expect(() => mapper.map({ event: 'error', data: '{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}' })).toThrow(
      expect.objectContaining({ code: 'upstream_rate_limited' }),
    );
    expect(mapper.done).toBe(false);
  });
});

describe('Anthropic answers (non-streaming)', () => {
  const names = listFixtures('vercel-ai', 'anthropic__', '.json');

  test.each(names)('%s', (name) => {
    const recorded = loadJsonFixture<{
      content: Array<{ type: string; text?: string; thinking?: string; id?: string; name?: string; input?: unknown }>;
      stop_reason: string;
      usage: { input_tokens: number; output_tokens: number; cache_read_input_tokens?: number; cache_creation_input_tokens?: number };
    }>('vercel-ai', name);
    const context = testContext(deployment, { stream: false });
    const parsed = adapter.parseResponse(context, Buffer.from(JSON.stringify(recorded)));
    const body = JSON.parse(parsed.body.toString()) as {
      object: string;
      choices: Array<{ message: { content: string | null; reasoning_content?: string; tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }> }; finish_reason: string }>;
      usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
    };
    const text = recorded.content.filter((block) => block.type === 'text').map((block) => block.text).join('');
    const tools = recorded.content.filter((block) => block.type === 'tool_use');
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0]!.message.content ?? '').toBe(text);
    expect(body.choices[0]!.message.reasoning_content ?? '').toBe(recorded.content.filter((block) => block.type === 'thinking').map((block) => block.thinking).join(''));
    expect((body.choices[0]!.message.tool_calls ?? []).map((call) => ({ id: call.id, name: call.function.name, input: JSON.parse(call.function.arguments) as unknown }))).toEqual(
      tools.map((tool) => ({ id: tool.id, name: tool.name, input: tool.input })),
    );
    expect(body.choices[0]!.finish_reason).toBe(mapAnthropicFinishReason(recorded.stop_reason));
    const prompt = recorded.usage.input_tokens + (recorded.usage.cache_read_input_tokens ?? 0) + (recorded.usage.cache_creation_input_tokens ?? 0);
    expect(body.usage).toMatchObject({ prompt_tokens: prompt, completion_tokens: recorded.usage.output_tokens, total_tokens: prompt + recorded.usage.output_tokens });
    expect(parsed.usage).toMatchObject({ promptTokens: prompt, completionTokens: recorded.usage.output_tokens });
  });
});
