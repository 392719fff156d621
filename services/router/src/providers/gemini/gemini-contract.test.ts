// Every recorded Gemini stream and answer in ../shared/fixtures, replayed through the adapter.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_DIR, listFixtures, loadJsonFixture, loadStreamPayloads } from '@sluice/testing';
import { describe, expect, test } from 'vitest';
import { assemble, replayThreeWays, sseBytes, testContext, testDeployment } from '../testing/contract-replay.test-support.js';
import { createGeminiProvider } from './create-gemini-provider.js';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.js';

const adapter = createGeminiProvider();
const deployment = testDeployment('gemini', 'gemini-2.5-flash');

interface Part {
  text?: string;
  thought?: boolean;
  functionCall?: { name?: string; args?: unknown; willContinue?: boolean; partialArgs?: unknown[] };
}
interface Response {
  candidates?: Array<{ content?: { parts?: Part[] }; finishReason?: string }>;
  usageMetadata?: { promptTokenCount?: number; candidatesTokenCount?: number; thoughtsTokenCount?: number; totalTokenCount?: number };
}

interface Recording {
  interactions: Array<{ request: { url: string }; response: { statusCode: number; bodySegments: unknown[] } }>;
}

/** The gemini-js-genai recordings: one SSE event per body segment. */
function genaiInteractions(kind: 'stream' | 'answer') {
  return listFixtures('gemini-js-genai', '', '.json').flatMap((name) => {
    const recording = JSON.parse(readFileSync(join(FIXTURES_DIR, 'gemini-js-genai', `${name}.json`), 'utf8')) as Recording;
    return recording.interactions
      .map((interaction, index) => ({ name: `gemini-js-genai/${name}#${index}`, interaction }))
      .filter(({ interaction }) => interaction.response.statusCode === 200)
      .filter(({ interaction }) =>
        kind === 'stream' ? interaction.request.url.includes(':streamGenerateContent') : interaction.request.url.includes(':generateContent'),
      )
      .map(({ name: label, interaction }) => ({ name: label, payloads: interaction.response.bodySegments.map((segment) => JSON.stringify(segment)) }));
  });
}

const streams = [
  ...listFixtures('vercel-ai', 'google__', '.chunks.txt').map((name) => ({ name, payloads: loadStreamPayloads('vercel-ai', name) })),
  ...genaiInteractions('stream'),
];

/** What the recording says: plain text, thoughts, whole function calls, the last finish reason and usage. */
function expectedFrom(payloads: string[]) {
  let text = '';
  let reasoning = '';
  const tools: Array<{ name: string; args: unknown }> = [];
  let finish: string | undefined;
  let usage: Response['usageMetadata'];
  for (const payload of payloads) {
    const response = JSON.parse(payload) as Response;
    if (response.usageMetadata?.promptTokenCount !== undefined) usage = response.usageMetadata;
    for (const part of response.candidates?.[0]?.content?.parts ?? []) {
      if (part.text) {
        if (part.thought) reasoning += part.text;
        else text += part.text;
      }
      if (part.functionCall?.name && part.functionCall.args !== undefined) tools.push({ name: part.functionCall.name, args: part.functionCall.args });
      else if (part.functionCall?.name && !part.functionCall.willContinue) tools.push({ name: part.functionCall.name, args: {} });
    }
    finish = response.candidates?.[0]?.finishReason ?? finish;
  }
  const thoughts = usage?.thoughtsTokenCount ?? 0;
  return {
    text,
    reasoning,
    tools,
    finish,
    usage: usage ? { prompt: usage.promptTokenCount ?? 0, completion: (usage.candidatesTokenCount ?? 0) + thoughts, total: usage.totalTokenCount } : undefined,
  };
}

describe('Gemini streams', () => {
  test('every recording is replayed', () => {
    expect(streams.length).toBeGreaterThanOrEqual(13);
  });

  test.each(streams.map((stream) => [stream.name, stream] as const))('%s: same chunks whole, in 7-byte pieces and byte by byte; matches the recording', (_name, stream) => {
    const { whole, seven, single } = replayThreeWays(adapter, () => testContext(deployment), sseBytes(stream.payloads));
    expect(seven.payloads).toEqual(whole.payloads);
    expect(single.payloads).toEqual(whole.payloads);
    expect(whole.done).toBe(true);
    const assembled = assemble(whole.payloads);
    const expected = expectedFrom(stream.payloads);
    expect(assembled.text).toBe(expected.text);
    expect(assembled.reasoning).toBe(expected.reasoning);
    // Streamed (partialArgs) calls are checked by name here and by content below.
    const wholeCalls = assembled.toolCalls.filter((call) => expected.tools.some((tool) => tool.name === call.name));
    for (const tool of expected.tools) {
      expect(wholeCalls.some((call) => call.name === tool.name && JSON.stringify(JSON.parse(call.arguments)) === JSON.stringify(tool.args))).toBe(true);
    }
    expect(assembled.toolCalls.map((call) => call.index)).toEqual(assembled.toolCalls.map((_, index) => index));
    expect(new Set(assembled.toolCalls.map((call) => call.id)).size).toBe(assembled.toolCalls.length);
    expect(assembled.finishReason).toBe(mapGeminiFinishReason(expected.finish, assembled.toolCalls.length > 0));
    if (expected.usage) {
      expect(assembled.usage).toMatchObject({ prompt_tokens: expected.usage.prompt, completion_tokens: expected.usage.completion });
      // totalTokenCount includes thinking tokens: prompt + candidates + thoughts.
      if (expected.usage.total !== undefined) expect(assembled.usage!.total_tokens).toBe(expected.usage.total);
    }
  });

  test('streamed function-call arguments (partialArgs) are assembled into whole calls', () => {
    const payloads = loadStreamPayloads('vercel-ai', 'google__google-stream-tool-call-arguments');
    const { whole } = replayThreeWays(adapter, () => testContext(deployment), sseBytes(payloads));
    const calls = assemble(whole.payloads).toolCalls.map((call) => ({ name: call.name, args: JSON.parse(call.arguments) as unknown }));
    expect(calls).toEqual([
      { name: 'getWeather', args: { location: 'Boston' } },
      { name: 'getWeather', args: { location: 'San Francisco' } },
    ]);
    expect(whole.finishReason).toBe('tool_calls');
  });

  test('cumulative usageMetadata: the last one counts, thinking tokens as completion and reasoning tokens', () => {
    const payloads = loadStreamPayloads('vercel-ai', 'google__google-tool-call-gemini3');
    const { whole } = replayThreeWays(adapter, () => testContext(deployment), sseBytes(payloads));
    expect(whole.usage).toEqual({ promptTokens: 29, completionTokens: 819, cachedTokens: 0, reasoningTokens: 804 });
  });

  test('an error object in the stream fails it', () => {
    const mapper = adapter.createStreamMapper(testContext(deployment));
    expect(() => mapper.map({ event: undefined, data: '{"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}' })).toThrow(
      expect.objectContaining({ code: 'upstream_error' }),
    );
  });
});

describe('Gemini answers (non-streaming)', () => {
  const answers = [
    ...listFixtures('vercel-ai', 'google__', '.json')
      .filter((name) => !name.includes('429'))
      .map((name) => ({ name, payload: JSON.stringify(loadJsonFixture('vercel-ai', name)) })),
    ...genaiInteractions('answer').map((answer) => ({ name: answer.name, payload: answer.payloads[0]! })),
  ];

  test.each(answers.map((answer) => [answer.name, answer] as const))('%s', (_name, answer) => {
    const parsed = adapter.parseResponse(testContext(deployment, { stream: false }), Buffer.from(answer.payload));
    const body = JSON.parse(parsed.body.toString()) as {
      choices: Array<{ message: { content: string | null; reasoning_content?: string; tool_calls?: Array<{ function: { name: string; arguments: string } }> }; finish_reason: string }>;
      usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
    };
    const expected = expectedFrom([answer.payload]);
    expect(body.choices[0]!.message.content ?? '').toBe(expected.text);
    expect(body.choices[0]!.message.reasoning_content ?? '').toBe(expected.reasoning);
    expect((body.choices[0]!.message.tool_calls ?? []).map((call) => ({ name: call.function.name, args: JSON.parse(call.function.arguments) as unknown }))).toEqual(expected.tools);
    expect(body.choices[0]!.finish_reason).toBe(mapGeminiFinishReason(expected.finish, expected.tools.length > 0));
    if (expected.usage) expect(body.usage).toMatchObject({ prompt_tokens: expected.usage.prompt, completion_tokens: expected.usage.completion });
  });

  test('a 429 carries RetryInfo as the retry delay', () => {
    const raw = Buffer.from(JSON.stringify(loadJsonFixture('vercel-ai', 'google__google-429-retry-info')));
    expect(adapter.mapError(429, raw, {})).toEqual({ code: 'upstream_rate_limited', message: 'The provider answered 429.', retryAfterMs: 34_400 });
  });
});
