// A cached answer has one stored form (the non-streaming body); these check that a recorded stream
// assembles into the body OpenAI would have sent, and that replaying a body as a stream and assembling it
// again gives the same body back.
import { CallType } from '@sluice/proto';
import { loadJsonFixture, loadStreamPayloads } from '@sluice/testing';
import { describe, expect, test } from 'vitest';
import { assembleStream, ssePayloads } from './assemble-stream.js';
import { replayStream } from './replay-stream.js';

const CHAT = CallType.CALL_TYPE_CHAT_COMPLETION;
const COMPLETION = CallType.CALL_TYPE_COMPLETION;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const parse = (bytes: Buffer) => JSON.parse(bytes.toString('utf8')) as Json;
const roundTrip = (callType: CallType, body: Buffer) => assembleStream(callType, replayStream(callType, body, true).payloads, undefined);

describe('a recorded OpenAI chat stream', () => {
  const payloads = loadStreamPayloads('vercel-ai', 'openai__chat__openai-text');
  const chunks = payloads.map((payload) => JSON.parse(payload) as Json);
  const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');

  test('assembles into a chat.completion with the whole text, the envelope and the stream usage', () => {
    const body = parse(assembleStream(CHAT, payloads, undefined));
    expect(body.object).toBe('chat.completion');
    expect(body.id).toBe(chunks[0]!.id);
    expect(body.model).toBe(chunks[0]!.model);
    expect(body.created).toBe(chunks[0]!.created);
    expect(body.system_fingerprint).toBe(chunks[0]!.system_fingerprint);
    expect(body.choices).toEqual([{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }]);
    expect(body.usage).toEqual(chunks.at(-1)!.usage);
  });

  test('takes the router-counted usage when the stream carried none', () => {
    const withoutUsage = payloads.filter((payload) => !payload.includes('"choices":[]'));
    const body = parse(assembleStream(CHAT, withoutUsage, { promptTokens: 5, completionTokens: 7, cachedTokens: 1, reasoningTokens: 0 }));
    expect(body.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 });
  });

  test('reads payloads out of the framed SSE the router streams', () => {
    const framed = [Buffer.from(payloads.slice(0, 3).map((payload) => `data: ${payload}\n\n`).join('')), Buffer.from(`data: ${payloads[3]}\n\ndata: [DONE]\n\n`)];
    expect(ssePayloads(framed)).toEqual(payloads.slice(0, 4));
  });

  test('replays and assembles back to the same body', () => {
    const body = assembleStream(CHAT, payloads, undefined);
    expect(parse(roundTrip(CHAT, body))).toEqual(parse(body));
  });
});

describe('replaying a cached chat body as a stream', () => {
  const recorded = loadJsonFixture<Json>('vercel-ai', 'openai__chat__openai-text');
  const body = Buffer.from(JSON.stringify(recorded));

  test('gives chunks in the live shape: role first, the content, the finish, then usage only when asked', () => {
    const withUsage = replayStream(CHAT, body, true).payloads.map((payload) => JSON.parse(payload) as Json);
    const withoutUsage = replayStream(CHAT, body, false).payloads.map((payload) => JSON.parse(payload) as Json);
    expect(withoutUsage).toHaveLength(withUsage.length - 1);
    for (const chunk of withUsage) {
      expect(chunk.object).toBe('chat.completion.chunk');
      expect(chunk.id).toBe(recorded.id);
      expect(chunk.model).toBe(recorded.model);
    }
    expect(withUsage[0]!.choices[0].delta).toMatchObject({ role: 'assistant', content: '' });
    expect(withUsage.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(recorded.choices[0].message.content);
    expect(withUsage.at(-2)!.choices[0]).toMatchObject({ delta: {}, finish_reason: recorded.choices[0].finish_reason });
    expect(withUsage.at(-1)).toMatchObject({ choices: [], usage: recorded.usage });
    expect(withoutUsage.every((chunk) => chunk.choices.length === 1)).toBe(true);
  });

  test('assembles back to the same message, finish reason and usage', () => {
    const again = parse(roundTrip(CHAT, body));
    expect(again.choices[0].message.content).toBe(recorded.choices[0].message.content);
    expect(again.choices[0].finish_reason).toBe(recorded.choices[0].finish_reason);
    expect(again.usage).toEqual(recorded.usage);
    expect(again.id).toBe(recorded.id);
  });
});

describe('tool calls, reasoning and several choices', () => {
  const head = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 7, model: 'm' };
  const chunk = (choices: Json[]) => JSON.stringify({ ...head, choices });
  const payloads = [
    chunk([{ index: 0, delta: { role: 'assistant', content: null }, finish_reason: null }]),
    chunk([{ index: 0, delta: { reasoning_content: 'Think ' }, finish_reason: null }]),
    chunk([{ index: 0, delta: { reasoning_content: 'twice.' }, finish_reason: null }]),
    chunk([{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'weather', arguments: '' } }] } }]),
    chunk([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] } }]),
    chunk([{ index: 0, delta: { tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'time', arguments: '{}' } }] } }]),
    chunk([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] } }]),
    chunk([{ index: 1, delta: { role: 'assistant', content: 'Second ' } }]),
    chunk([{ index: 1, delta: { content: 'choice.' } }]),
    chunk([{ index: 0, delta: {}, finish_reason: 'tool_calls' }]),
    chunk([{ index: 1, delta: {}, finish_reason: 'stop' }]),
  ];

  test('assemble into one message per choice with whole tool calls', () => {
    const body = parse(assembleStream(CHAT, payloads, { promptTokens: 1, completionTokens: 2, cachedTokens: 0, reasoningTokens: 0 }));
    expect(body.choices).toEqual([
      {
        index: 0,
        message: {
          role: 'assistant',
          content: null,
          reasoning_content: 'Think twice.',
          tool_calls: [
            { id: 'call_a', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
            { id: 'call_b', type: 'function', function: { name: 'time', arguments: '{}' } },
          ],
        },
        logprobs: null,
        finish_reason: 'tool_calls',
      },
      { index: 1, message: { role: 'assistant', content: 'Second choice.' }, logprobs: null, finish_reason: 'stop' },
    ]);
  });

  test('replay and assemble back to the same body', () => {
    const body = assembleStream(CHAT, payloads, { promptTokens: 1, completionTokens: 2, cachedTokens: 0, reasoningTokens: 0 });
    expect(parse(roundTrip(CHAT, body))).toEqual(parse(body));
  });
});

describe('legacy text completions', () => {
  const payloads = loadStreamPayloads('vercel-ai', 'openai__completion__openai-completion-text');
  const chunks = payloads.map((payload) => JSON.parse(payload) as Json);

  test('assemble into a text_completion body', () => {
    const body = parse(assembleStream(COMPLETION, payloads, undefined));
    expect(body.object).toBe('text_completion');
    expect(body.choices).toEqual([
      { text: chunks.map((chunk) => chunk.choices[0]?.text ?? '').join(''), index: 0, logprobs: null, finish_reason: 'length' },
    ]);
    expect(body.usage).toEqual(chunks.at(-1)!.usage);
  });

  test('replay as text_completion chunks and assemble back to the same body', () => {
    const recorded = loadJsonFixture<Json>('vercel-ai', 'openai__completion__openai-completion-text');
    const body = Buffer.from(JSON.stringify(recorded));
    const replayed = replayStream(COMPLETION, body, true).payloads.map((payload) => JSON.parse(payload) as Json);
    expect(replayed.every((chunk) => chunk.object === 'text_completion')).toBe(true);
    expect(replayed[0]!.choices[0]).toEqual(recorded.choices[0]);
    expect(parse(roundTrip(COMPLETION, body))).toEqual(recorded);
  });
});

test("Azure's opening chunk without an id does not become the envelope", () => {
  const payloads = loadStreamPayloads('vercel-ai', 'openai__chat__azure-model-router.1');
  const body = parse(assembleStream(CHAT, payloads, undefined));
  expect(body.id).toBe((JSON.parse(payloads[1]!) as Json).id);
  expect(body.id).not.toBe('');
  expect(body.choices[0].message.content.length).toBeGreaterThan(0);
});
