// Anthropic Messages clients: every recorded Anthropic stream and answer in ../shared/fixtures through
// the native pass-through (Anthropic deployments) and through the chat translation (everything else),
// whole, in 7-byte pieces and byte by byte; and the requests each way.
import { CallType } from '@sluice/proto';
import { listFixtures, loadJsonFixture, loadStreamPayloads } from '@sluice/testing';
import { describe, expect, test } from 'vitest';
import { createAnthropicProvider } from '../anthropic/create-anthropic-provider.js';
import { createOpenAiCompatibleProvider } from '../openai-compatible/create-openai-compatible-provider.js';
import type { AdapterContext } from '../provider-adapter.js';
import { assembleAnthropicEvents, decodeSse, recordedAnthropicStreams } from '../testing/anthropic-events.test-support.js';
import { anthropicSseBytes, replayThreeWays, sseBytes, testContext, testDeployment } from '../testing/contract-replay.test-support.js';
import { adapterForCall } from './adapter-for-call.js';
import { ANTHROPIC_MESSAGES_TRANSLATION } from './anthropic-messages-translation.js';
import { createInboundBridge } from './inbound-bridge.js';

const anthropic = createAnthropicProvider();
const native = adapterForCall(anthropic, CallType.CALL_TYPE_ANTHROPIC_MESSAGES);
// Anthropic's own stream through the chat translation and back: what a Bedrock or Gemini deployment
// does to a Messages client, checked against the recording.
const roundTrip = createInboundBridge(anthropic, ANTHROPIC_MESSAGES_TRANSLATION);
const openAi = createOpenAiCompatibleProvider();
const bridgedOpenAi = adapterForCall(openAi, CallType.CALL_TYPE_ANTHROPIC_MESSAGES);
const deployment = testDeployment('anthropic', 'claude-sonnet-4-5');
const messagesContext = (overrides: Partial<AdapterContext> = {}) =>
  testContext(deployment, { callType: CallType.CALL_TYPE_ANTHROPIC_MESSAGES, includeUsage: false, body: { model: 'claude' }, ...overrides });

const streams = recordedAnthropicStreams();

describe('Messages streams from an Anthropic deployment pass through', () => {
  test('every recording is replayed', () => {
    expect(streams.length).toBeGreaterThanOrEqual(16);
    expect(native).toBe(anthropic);
    expect(bridgedOpenAi).not.toBe(openAi);
  });

  test.each(streams.map((stream) => [stream.name, stream] as const))('%s: every event as recorded, however the bytes are cut', (_name, stream) => {
    const { whole, seven, single } = replayThreeWays(native, () => messagesContext(), stream.bytes);
    expect(seven.payloads).toEqual(whole.payloads);
    expect(single.payloads).toEqual(whole.payloads);
    const out = whole.payloads.join('');
    // The data of every event reaches the client byte for byte, named by its type.
    const events = decodeSse(out);
    expect(events.map((event) => event.data)).toEqual(stream.payloads);
    for (const event of events) expect(event.event).toBe((JSON.parse(event.data) as { type: string }).type);
    expect(whole.done).toBe(stream.payloads.some((payload) => payload.includes('"message_stop"')));
    const assembled = assembleAnthropicEvents(out);
    expect(whole.usage?.completionTokens).toBe(assembled.usage.output_tokens ?? 0);
    const prompt = (assembled.usage.input_tokens ?? 0) + (assembled.usage.cache_read_input_tokens ?? 0) + (assembled.usage.cache_creation_input_tokens ?? 0);
    if (!stream.name.includes('duplicate-message-start') && !stream.name.includes('spliced')) expect(whole.usage?.promptTokens).toBe(prompt);
  });

  test('cache reads and cache writes are counted apart', () => {
    const events = [
      '{"type":"message_start","message":{"id":"msg_c","type":"message","role":"assistant","model":"claude","content":[],"usage":{"input_tokens":10,"cache_creation_input_tokens":2000,"cache_read_input_tokens":0,"output_tokens":1}}}',
      '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
      '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}',
      '{"type":"content_block_stop","index":0}',
      '{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":5,"cache_read_input_tokens":300}}',
      '{"type":"message_stop"}',
    ];
    const { whole } = replayThreeWays(native, () => messagesContext(), anthropicSseBytes(events));
    expect(whole.usage).toEqual({ promptTokens: 2310, completionTokens: 5, cachedTokens: 300, reasoningTokens: 0, cacheCreationTokens: 2000, cacheWrite5mTokens: 2000, cacheWrite1hTokens: 0 });
  });

  test('an error event after HTTP 200 fails the stream with its class', () => {
    const mapper = native.createStreamMapper(messagesContext());
    expect(() => mapper.map({ event: 'error', data: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}' })).toThrow(
      expect.objectContaining({ code: 'upstream_error' }),
    );
  });
});

describe('Messages streams from other providers are translated', () => {
  test.each(streams.filter((stream) => !stream.name.includes('spliced')).map((stream) => [stream.name, stream] as const))(
    '%s: through chat and back, the same message however the bytes are cut',
    (_name, stream) => {
      const { whole, seven, single } = replayThreeWays(roundTrip, () => messagesContext(), stream.bytes);
      expect(seven.payloads).toEqual(whole.payloads);
      expect(single.payloads).toEqual(whole.payloads);
      expect(whole.done).toBe(stream.payloads.some((payload) => payload.includes('"message_stop"')));
      if (!whole.done) return;
      const translated = assembleAnthropicEvents(whole.payloads.join(''));
      const recorded = assembleAnthropicEvents(anthropicSseBytes(stream.payloads));
      const summary = (message: typeof recorded) => ({
        text: message.content.filter((block) => block.type === 'text').map((block) => block.text ?? '').join(''),
        thinking: message.content.filter((block) => block.type === 'thinking').map((block) => block.thinking ?? '').join(''),
        // A block the recording never closed (cut by max_tokens) keeps its partial arguments; the
        // translation closes it at the end of the message, with the same arguments.
        tools: message.content.filter((block) => block.type === 'tool_use').map((block) => ({ id: block.id, name: block.name, input: block.partialJson !== undefined ? block.partialJson : (block.input ?? {}) })),
        stopReason: message.stopReason === 'stop_sequence' || message.stopReason === 'pause_turn' ? 'end_turn' : message.stopReason,
      });
      expect(summary(translated)).toEqual(summary(recorded));
      expect(translated.eventTypes[0]).toBe('message_start');
      expect(translated.eventTypes.at(-1)).toBe('message_stop');
      expect(translated.model).toBe('claude');
      expect(translated.usage.output_tokens).toBe(recorded.usage.output_tokens);
    },
  );

  test.each(listFixtures('vercel-ai', 'openai__chat__', '.chunks.txt'))('%s: an OpenAI stream as Messages events', (name) => {
    const payloads = loadStreamPayloads('vercel-ai', name);
    const { whole, seven, single } = replayThreeWays(bridgedOpenAi, () => messagesContext(), sseBytes(payloads, true));
    expect(seven.payloads).toEqual(whole.payloads);
    expect(single.payloads).toEqual(whole.payloads);
    expect(whole.done).toBe(true);
    const message = assembleAnthropicEvents(whole.payloads.join(''));
    const text = payloads
      .map((line) => JSON.parse(line) as { choices?: Array<{ delta?: { content?: string } }> })
      .map((chunk) => chunk.choices?.[0]?.delta?.content ?? '')
      .join('');
    expect(message.content.filter((block) => block.type === 'text').map((block) => block.text).join('')).toBe(text);
    expect(message.stopReason).toBe('end_turn');
    expect(message.usage.output_tokens).toBe(whole.usage!.completionTokens);
  });

  test('tool calls become tool_use blocks with input_json_delta; the usage chunk after the finish chunk still reaches message_delta', () => {
    const chunk = (delta: unknown, finish: string | null = null) => JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] });
    const payloads = [
      chunk({ role: 'assistant', content: 'Let me check.' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'weather', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: { name: 'time', arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
      JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 20, completion_tokens: 9, prompt_tokens_details: { cached_tokens: 4 } } }),
    ];
    const { whole } = replayThreeWays(bridgedOpenAi, () => messagesContext(), sseBytes(payloads, true));
    const message = assembleAnthropicEvents(whole.payloads.join(''));
    expect(message.content).toEqual([
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'call_1', name: 'weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 'call_2', name: 'time', input: {} },
    ]);
    expect(message.stopReason).toBe('tool_use');
    expect(message.usage).toMatchObject({ input_tokens: 16, output_tokens: 9, cache_read_input_tokens: 4 });
  });
});

describe('Messages answers (non-streaming)', () => {
  test.each(listFixtures('vercel-ai', 'anthropic__', '.json'))('%s: from Anthropic byte for byte; through chat, the same content', (name) => {
    const recorded = loadJsonFixture<{ content: Array<Record<string, unknown>>; stop_reason: string; usage: Record<string, number> }>('vercel-ai', name);
    const raw = Buffer.from(JSON.stringify(recorded));
    const passed = native.parseResponse(messagesContext({ stream: false }), raw);
    expect(passed.body).toBe(raw);
    expect(passed.usage?.completionTokens).toBe(recorded.usage.output_tokens);
    const translated = JSON.parse(roundTrip.parseResponse(messagesContext({ stream: false }), raw).body.toString()) as typeof recorded & { type: string; model: string };
    expect(translated.type).toBe('message');
    expect(translated.model).toBe('claude');
    const kept = (content: Array<Record<string, unknown>>) =>
      content.filter((block) => ['text', 'tool_use'].includes(block.type as string)).map(({ type, text, id, name: toolName, input }) => ({ type, text, id, name: toolName, input }));
    const text = (content: Array<Record<string, unknown>>) => content.filter((block) => block.type === 'text').map((block) => block.text).join('');
    expect(text(translated.content)).toBe(text(recorded.content));
    expect(kept(translated.content).filter((block) => block.type === 'tool_use')).toEqual(kept(recorded.content).filter((block) => block.type === 'tool_use'));
    expect(translated.usage.output_tokens).toBe(recorded.usage.output_tokens);
  });
});

describe('Messages requests', () => {
  const body = {
    model: 'claude',
    max_tokens: 256,
    system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }],
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?', cache_control: { type: 'ephemeral', ttl: '1h' } }] },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'hm', signature: 'sig' }, { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Paris' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: '18C' }] }, { type: 'text', text: 'And tomorrow?' }] },
    ],
    tools: [{ name: 'weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' } } }, cache_control: { type: 'ephemeral' } }],
    tool_choice: { type: 'auto', disable_parallel_tool_use: true },
    stop_sequences: ['END'],
    metadata: { user_id: 'user-7' },
    top_k: 5,
    stream: true,
  };
  const raw = Buffer.from(JSON.stringify(body, null, 1));

  test('to Anthropic: the client bytes with only the model replaced; its version and beta headers', async () => {
    const context = messagesContext({ body, rawBody: raw, clientHeaders: { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'prompt-caching-2024-07-31' } });
    const request = await native.buildRequest(context, body);
    expect(request.path).toBe('/v1/messages');
    expect(Buffer.from(request.body as Buffer).toString()).toBe(raw.toString().replace('"model": "claude"', '"model": "claude-sonnet-4-5"'));
    expect(request.headers).toMatchObject({ 'anthropic-version': '2023-06-01', 'anthropic-beta': 'prompt-caching-2024-07-31', 'x-api-key': 'sk-provider-key' });
  });

  test('to an OpenAI-compatible provider: a chat request, tool results as tool messages', async () => {
    const openAiDeployment = testDeployment('openai', 'gpt-4o');
    const context = testContext(openAiDeployment, { callType: CallType.CALL_TYPE_ANTHROPIC_MESSAGES, body, rawBody: raw, clientHeaders: { 'anthropic-beta': 'x' } });
    const request = await bridgedOpenAi.buildRequest(context, body);
    expect(request.path).toBe('/chat/completions');
    expect(request.headers['anthropic-beta']).toBeUndefined();
    expect(JSON.parse(request.body as string)).toEqual({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'toolu_1', content: '18C' },
        { role: 'user', content: 'And tomorrow?' },
      ],
      max_tokens: 256,
      stop: ['END'],
      user: 'user-7',
      tools: [{ type: 'function', function: { name: 'weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
      tool_choice: 'auto',
      parallel_tool_calls: false,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  test('a PDF document cannot go to a chat provider: a 400, not a silent drop', async () => {
    const withPdf = { model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } }] }] };
    const context = testContext(testDeployment('openai', 'gpt-4o'), { callType: CallType.CALL_TYPE_ANTHROPIC_MESSAGES, body: withPdf });
    await expect(bridgedOpenAi.buildRequest(context, withPdf)).rejects.toMatchObject({ code: 'invalid_request' });
  });
});
