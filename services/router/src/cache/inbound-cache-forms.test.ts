// The stored forms of Anthropic Messages and Responses answers: every recorded stream put back together
// as the object it stands for, and that object told again as a well-formed stream of the same answer.
import { listFixtures, loadStreamPayloads, loadTextFixture } from '@sluice/testing';
import { describe, expect, test } from 'vitest';
import { assembleAnthropicEvents, recordedAnthropicStreams } from '../providers/testing/anthropic-events.test-support.js';
import { assembleResponsesEvents } from '../providers/testing/responses-events.test-support.js';
import { assembleAnthropicMessage, replayAnthropicMessage } from './anthropic-message-cache.js';
import { assembleResponse, renewResponse, replayResponse } from './responses-cache.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const anthropicStreams = recordedAnthropicStreams().map((stream) => [stream.name, Buffer.from(stream.bytes)] as const);

/** A tool call whose input max_tokens cut off: not kept, since it cannot be told again as it came. */
const NOT_KEPT = new Set(['anthropic/lib__fixtures__incomplete_partial_json_response.txt']);

/**
 * What Anthropic's SDK would make of a stream, without the bookkeeping. The reader in the test support
 * parses only tool_use input, so server tool inputs are compared apart.
 */
function sdkView(sse: Buffer | string) {
  const read = assembleAnthropicEvents(sse);
  const content = read.content.map((block) => (block.type === 'server_tool_use' ? { ...block, input: undefined } : block));
  return { id: read.id, content, stopReason: read.stopReason, outputTokens: read.usage.output_tokens };
}
const withoutServerInput = (content: Json[]) => content.map((block) => (block.type === 'server_tool_use' ? { ...block, input: undefined } : block));

describe('Anthropic Messages', () => {
  test('every recording is used', () => {
    expect(anthropicStreams.length).toBeGreaterThanOrEqual(16);
  });

  test.each(anthropicStreams)('%s: assembled as its message, and replayed as the same answer', (name, bytes) => {
    const body = assembleAnthropicMessage([bytes]);
    const recorded = sdkView(bytes);
    if (NOT_KEPT.has(name)) {
      expect(body).toBeUndefined();
      return;
    }
    const message = JSON.parse(body!.toString('utf8')) as Json;
    expect(message.id).toBe(recorded.id);
    expect(withoutServerInput(message.content)).toEqual(recorded.content);
    expect(message.stop_reason ?? null).toBe(recorded.stopReason);
    expect(message.usage.output_tokens).toBe(recorded.outputTokens);

    const { events, contentEvents } = replayAnthropicMessage(body!);
    const replayed = events.join('');
    expect(sdkView(replayed)).toEqual({ ...recorded, stopReason: recorded.stopReason ?? 'end_turn' });
    expect(contentEvents).toBeGreaterThanOrEqual(message.content.length);
    // Told again and put back together, the stored form is unchanged.
    const again = JSON.parse(assembleAnthropicMessage([Buffer.from(replayed)])!.toString('utf8')) as Json;
    expect(again).toEqual({ ...message, stop_reason: message.stop_reason ?? 'end_turn', stop_sequence: message.stop_sequence ?? null });
  });
});

// The hand-written parallel-tool-call-wrapper recording has events that are not valid JSON (its own test below).
const BROKEN = 'openai__responses__parallel-tool-call-wrapper.1.chunks.txt';
const responsesStreams = listFixtures('vercel-ai', 'openai__responses__', '.chunks.txt').filter((name) => !name.startsWith(BROKEN.replace('.chunks.txt', ''))).map((name) => {
  const payloads = loadStreamPayloads('vercel-ai', name);
  const sse = payloads.map((payload) => `event: ${(JSON.parse(payload) as { type: string }).type}\ndata: ${payload}\n\n`).join('');
  return [name, Buffer.from(sse), payloads] as const;
});

describe('OpenAI Responses', () => {
  test('every recording is used', () => {
    expect(responsesStreams.length).toBeGreaterThanOrEqual(3);
  });

  test.each(responsesStreams)('%s: kept as its final response, replayed under a new id', (_name, bytes, payloads) => {
    const last = JSON.parse(payloads.at(-1)!) as Json;
    const terminal = last.type === 'response.completed' || last.type === 'response.incomplete' ? last : undefined;
    const body = assembleResponse([bytes]);
    if (!terminal) {
      expect(body).toBeUndefined();
      return;
    }
    expect(JSON.parse(body!.toString('utf8'))).toEqual(terminal.response);
    const renewed = renewResponse(body!, 'resp_new', 1_800_000_000);
    expect(renewed).toMatchObject({ id: 'resp_new', created_at: 1_800_000_000, output: terminal.response.output });
    const { events } = replayResponse(renewed);
    // Well-formed (sequence numbers, deltas adding up to their done events), ending with the response.
    const read = assembleResponsesEvents(events.join(''));
    expect(read.eventTypes[0]).toBe('response.created');
    expect(read.final).toEqual(renewed);
    expect(read.output).toEqual(terminal.response.output);
    const text = (terminal.response.output as Json[])
      .filter((item) => item.type === 'message')
      .flatMap((item) => item.content as Json[])
      .map((part) => part.text ?? '')
      .join('');
    expect(read.text).toBe(text);
    expect(JSON.parse(assembleResponse([Buffer.from(events.join(''))])!.toString('utf8'))).toEqual(renewed);
  });
});

test('a stream whose events cannot be read is not kept', () => {
  const raw = loadTextFixture('vercel-ai', BROKEN)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => `event: x\ndata: ${line}\n\n`)
    .join('');
  expect(assembleResponse([Buffer.from(raw)])).toBeUndefined();
  expect(assembleAnthropicMessage([Buffer.from('event: message_start\ndata: {"type":"message_start","message":{"id":\n\n')])).toBeUndefined();
});
