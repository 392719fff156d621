// OpenAI Responses clients: every recorded Responses stream and answer in ../shared/fixtures through the
// native pass-through (OpenAI and Azure), whole, in 7-byte pieces and byte by byte; recorded Anthropic
// and OpenAI chat streams through the chat translation (every other provider); and the requests.
import { CallType } from '@sluice/proto';
import { listFixtures, loadJsonFixture, loadStreamPayloads } from '@sluice/testing';
import { describe, expect, test } from 'vitest';
import { createAnthropicProvider } from '../anthropic/create-anthropic-provider.js';
import { createOpenAiCompatibleProvider } from '../openai-compatible/create-openai-compatible-provider.js';
import type { AdapterContext } from '../provider-adapter.js';
import { providerFor } from '../provider-registry.js';
import { assembleAnthropicEvents, decodeSse } from '../testing/anthropic-events.test-support.js';
import { anthropicSseBytes, replay, replayThreeWays, sseBytes, testContext, testDeployment } from '../testing/contract-replay.test-support.js';
import { assembleResponsesEvents } from '../testing/responses-events.test-support.js';
import { adapterForCall } from './adapter-for-call.js';

const openAi = providerFor('openai')!.adapter;
const native = adapterForCall(openAi, CallType.CALL_TYPE_RESPONSES);
const fromAnthropic = adapterForCall(createAnthropicProvider(), CallType.CALL_TYPE_RESPONSES);
const fromCompatible = adapterForCall(createOpenAiCompatibleProvider(), CallType.CALL_TYPE_RESPONSES);
const deployment = testDeployment('openai', 'gpt-5');
const responsesContext = (overrides: Partial<AdapterContext> = {}) =>
  testContext(deployment, { callType: CallType.CALL_TYPE_RESPONSES, includeUsage: false, body: { model: 'gpt' }, ...overrides });

const recorded = listFixtures('vercel-ai', 'openai__responses__', '.chunks.txt').map((name) => {
  const payloads = loadStreamPayloads('vercel-ai', name);
  // One hand-written recording has lines that are not quite JSON; the type is read as OpenAI writes it, first.
  const bytes = Buffer.from(payloads.map((payload) => `event: ${/^\{"type":"([^"]+)"/.exec(payload)![1]}\ndata: ${payload}\n\n`).join(''));
  return { name, payloads, bytes };
});

describe('Responses streams from OpenAI and Azure pass through', () => {
  test('OpenAI and Azure speak Responses; other compatible servers are translated', () => {
    expect(native).toBe(openAi);
    expect(adapterForCall(providerFor('azure')!.adapter, CallType.CALL_TYPE_RESPONSES)).toBe(providerFor('azure')!.adapter);
    expect(adapterForCall(providerFor('groq')!.adapter, CallType.CALL_TYPE_RESPONSES)).not.toBe(providerFor('groq')!.adapter);
    expect(recorded.length).toBeGreaterThanOrEqual(4);
  });

  test.each(recorded.filter((stream) => !stream.name.includes('openai-error')).map((stream) => [stream.name, stream] as const))(
    '%s: every event as recorded, however the bytes are cut (plain data: framing too)',
    (_name, stream) => {
      const { whole, seven, single } = replayThreeWays(native, () => responsesContext(), stream.bytes);
      expect(seven.payloads).toEqual(whole.payloads);
      expect(single.payloads).toEqual(whole.payloads);
      // OpenAI frames with event names; a server that sends data lines only gets the same events out.
      expect(replay(native, responsesContext(), sseBytes(stream.payloads), 7).payloads).toEqual(whole.payloads);
      const events = decodeSse(whole.payloads.join(''));
      expect(events.map((event) => event.data)).toEqual(stream.payloads);
      expect(whole.done).toBe(true);
      expect(whole.finishReason).toBe('stop');
      let completed: { response: { usage: { input_tokens: number; output_tokens: number } } };
      try {
        completed = JSON.parse(stream.payloads.at(-1)!) as typeof completed;
      } catch {
        // A terminal event that cannot be read still ends the stream; the gateway counts the tokens.
        expect(whole.usage).toBeUndefined();
        return;
      }
      expect(whole.usage).toMatchObject({ promptTokens: completed.response.usage.input_tokens, completionTokens: completed.response.usage.output_tokens });
    },
  );

  test('openai-error: the error event after HTTP 200 fails the stream with its class', () => {
    const stream = recorded.find((candidate) => candidate.name.includes('openai-error'))!;
    for (const size of [undefined, 7, 1]) {
      expect(() => replay(native, responsesContext(), stream.bytes, size)).toThrow(expect.objectContaining({ code: 'upstream_rate_limited' }));
    }
  });

  test.each(listFixtures('vercel-ai', 'openai__responses__', '.json').filter((name) => !name.includes('error')))('%s: the answer byte for byte, its usage read', (name) => {
    const answer = loadJsonFixture<{ usage: { input_tokens: number; output_tokens: number } }>('vercel-ai', name);
    const raw = Buffer.from(JSON.stringify(answer));
    const parsed = native.parseResponse(responsesContext({ stream: false }), raw);
    expect(parsed.body).toBe(raw);
    expect(parsed.usage).toMatchObject({ promptTokens: answer.usage.input_tokens, completionTokens: answer.usage.output_tokens });
  });
});

describe('Responses streams from other providers are translated', () => {
  const anthropicStreams = listFixtures('vercel-ai', 'anthropic__', '.chunks.txt').filter((name) => !name.includes('spliced'));
  test.each(anthropicStreams)('%s: Anthropic through chat into Responses events, however the bytes are cut', (name) => {
    const payloads = loadStreamPayloads('vercel-ai', name);
    const bytes = anthropicSseBytes(payloads);
    const { whole, seven, single } = replayThreeWays(fromAnthropic, () => responsesContext(), bytes);
    expect(seven.payloads).toEqual(whole.payloads);
    expect(single.payloads).toEqual(whole.payloads);
    if (!whole.done) return;
    const response = assembleResponsesEvents(whole.payloads.join(''));
    const message = assembleAnthropicEvents(bytes);
    expect(response.eventTypes.slice(0, 2)).toEqual(['response.created', 'response.in_progress']);
    expect(response.text).toBe(message.content.filter((block) => block.type === 'text').map((block) => block.text).join(''));
    expect(response.output.filter((item) => item.type === 'function_call').map((item) => ({ call_id: item.call_id, name: item.name }))).toEqual(
      message.content.filter((block) => block.type === 'tool_use').map((block) => ({ call_id: block.id, name: block.name })),
    );
    expect(response.final).toMatchObject({ object: 'response', model: 'gpt', output: response.output });
    expect((response.final!.usage as { output_tokens: number }).output_tokens).toBe(message.usage.output_tokens);
  });

  test.each(listFixtures('vercel-ai', 'openai__chat__', '.chunks.txt'))('%s: a chat stream as Responses events', (name) => {
    const payloads = loadStreamPayloads('vercel-ai', name);
    const { whole, seven, single } = replayThreeWays(fromCompatible, () => responsesContext(), sseBytes(payloads, true));
    expect(seven.payloads).toEqual(whole.payloads);
    expect(single.payloads).toEqual(whole.payloads);
    const response = assembleResponsesEvents(whole.payloads.join(''));
    const text = payloads.map((line) => (JSON.parse(line) as { choices?: Array<{ delta?: { content?: string } }> }).choices?.[0]?.delta?.content ?? '').join('');
    expect(response.text).toBe(text);
    expect(response.eventTypes.at(-1)).toBe('response.completed');
    expect(response.final!.usage).toMatchObject({ output_tokens: whole.usage!.completionTokens });
  });

  test('a chat answer as a response object', () => {
    const chat = Buffer.from(
      JSON.stringify({
        choices: [{ index: 0, message: { role: 'assistant', content: 'Checking.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] }, finish_reason: 'tool_calls' }],
        usage: { prompt_tokens: 10, completion_tokens: 4 },
      }),
    );
    const context = responsesContext({ stream: false, body: { model: 'gpt', instructions: 'Be brief.' } });
    const parsed = fromCompatible.parseResponse(context, chat);
    const body = JSON.parse(parsed.body.toString()) as Record<string, unknown>;
    expect(body).toMatchObject({
      object: 'response',
      status: 'completed',
      model: 'gpt',
      instructions: 'Be brief.',
      output: [
        { type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Checking.', annotations: [] }] },
        { type: 'function_call', call_id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}', status: 'completed' },
      ],
      usage: { input_tokens: 10, output_tokens: 4, total_tokens: 14 },
    });
    expect(String(body.id)).toMatch(/^resp_/);
  });
});

describe('Responses requests', () => {
  const body = {
    model: 'gpt',
    instructions: 'Be brief.',
    input: [
      { role: 'user', content: 'Weather in Paris and Rome?' },
      { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'gAAA' },
      { type: 'function_call', call_id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}' },
      { type: 'function_call', call_id: 'call_2', name: 'weather', arguments: '{"city":"Rome"}' },
      { type: 'function_call_output', call_id: 'call_1', output: '18C' },
      { type: 'function_call_output', call_id: 'call_2', output: '21C' },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Which is warmer?' }] },
    ],
    tools: [{ type: 'function', name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true }],
    tool_choice: 'auto',
    max_output_tokens: 100,
    stream: true,
  };

  test('to OpenAI: the client bytes with only the model replaced, to /responses', async () => {
    const raw = Buffer.from(JSON.stringify(body));
    const request = await native.buildRequest(responsesContext({ body, rawBody: raw }), body);
    expect(request.path).toBe('/responses');
    expect(Buffer.from(request.body as Buffer).toString()).toBe(raw.toString().replace('"model":"gpt"', '"model":"gpt-5"'));
  });

  test('to a chat provider: instructions as system, calls and outputs as tool messages', async () => {
    const request = await fromCompatible.buildRequest(responsesContext({ body }), body);
    expect(request.path).toBe('/chat/completions');
    expect(JSON.parse(request.body as string)).toEqual({
      model: 'gpt-5',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '18C' },
        { role: 'tool', tool_call_id: 'call_2', content: '21C' },
        { role: 'user', content: 'Which is warmer?' },
      ],
      max_tokens: 100,
      tools: [{ type: 'function', function: { name: 'weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true } }],
      tool_choice: 'auto',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  test('a built-in tool cannot go to a chat provider: a 400', async () => {
    const withSearch = { model: 'gpt', input: 'news?', tools: [{ type: 'web_search' }] };
    await expect(fromCompatible.buildRequest(responsesContext({ body: withSearch }), withSearch)).rejects.toMatchObject({ code: 'invalid_request' });
  });
});
