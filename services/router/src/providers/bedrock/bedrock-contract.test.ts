// Every recorded Bedrock ConverseStream and Converse answer in ../shared/fixtures, replayed through the
// adapter as AWS sends them: binary event-stream frames.
import { listFixtures, loadJsonFixture, loadStreamPayloads } from '@sluice/testing';
import { describe, expect, test } from 'vitest';
import { assemble, bedrockEventStreamBytes, replayThreeWays, testContext, testDeployment } from '../testing/contract-replay.test-support.js';
import { createBedrockProvider } from './create-bedrock-provider.js';
import { mapBedrockFinishReason } from './map-bedrock-finish-reason.js';

const adapter = createBedrockProvider();
const deployment = testDeployment('bedrock', 'anthropic.claude-3-5-sonnet-20240620-v1:0');

type Event = Record<string, {
  contentBlockIndex?: number;
  start?: { toolUse?: { toolUseId: string; name: string } };
  delta?: { text?: string; toolUse?: { input: string }; reasoningContent?: { text?: string } };
  stopReason?: string;
  usage?: { inputTokens: number; outputTokens: number; cacheReadInputTokens?: number; cacheWriteInputTokens?: number };
}>;

function expectedFrom(lines: string[]) {
  let text = '';
  let reasoning = '';
  const tools = new Map<number, { id: string; name: string; arguments: string }>();
  let stopReason: string | undefined;
  let usage: { prompt: number; completion: number } | undefined;
  for (const line of lines) {
    const event = JSON.parse(line) as Event;
    const [type, payload] = Object.entries(event)[0]!;
    if (type === 'contentBlockStart' && payload.start?.toolUse) {
      tools.set(payload.contentBlockIndex!, { id: payload.start.toolUse.toolUseId, name: payload.start.toolUse.name, arguments: '' });
    }
    if (type === 'contentBlockDelta') {
      text += payload.delta?.text ?? '';
      reasoning += payload.delta?.reasoningContent?.text ?? '';
      if (payload.delta?.toolUse) tools.get(payload.contentBlockIndex!)!.arguments += payload.delta.toolUse.input;
    }
    if (type === 'messageStop') stopReason = payload.stopReason;
    if (type === 'metadata' && payload.usage) {
      const cached = (payload.usage.cacheReadInputTokens ?? 0) + (payload.usage.cacheWriteInputTokens ?? 0);
      usage = { prompt: payload.usage.inputTokens + cached, completion: payload.usage.outputTokens };
    }
  }
  const toolList = [...tools.values()].map((tool) => ({ ...tool, arguments: tool.arguments === '' ? '{}' : tool.arguments }));
  return { text, reasoning, tools: toolList, finishReason: mapBedrockFinishReason(stopReason), usage };
}

const streams = listFixtures('vercel-ai', 'amazon-bedrock__', '.chunks.txt');

describe('Bedrock ConverseStream', () => {
  test('every recording is replayed', () => {
    expect(streams.length).toBeGreaterThanOrEqual(11);
  });

  test.each(streams)('%s: same chunks whole, in 7-byte pieces and byte by byte; matches the recording', (name) => {
    const lines = loadStreamPayloads('vercel-ai', name);
    const { whole, seven, single } = replayThreeWays(adapter, () => testContext(deployment), bedrockEventStreamBytes(lines));
    expect(seven.payloads).toEqual(whole.payloads);
    expect(single.payloads).toEqual(whole.payloads);
    expect(whole.done).toBe(true);
    const assembled = assemble(whole.payloads);
    const expected = expectedFrom(lines);
    expect(assembled.text).toBe(expected.text);
    expect(assembled.reasoning).toBe(expected.reasoning);
    expect(assembled.toolCalls.map(({ id, name: toolName, arguments: args }) => ({ id, name: toolName, arguments: args }))).toEqual(expected.tools);
    expect(assembled.toolCalls.map((call) => call.index)).toEqual(expected.tools.map((_, index) => index));
    expect(assembled.finishReason).toBe(expected.finishReason);
    if (expected.usage) {
      expect(assembled.usage).toMatchObject({ prompt_tokens: expected.usage.prompt, completion_tokens: expected.usage.completion });
      expect(whole.usage).toMatchObject({ promptTokens: expected.usage.prompt, completionTokens: expected.usage.completion });
    } else {
      expect(whole.usage).toBeUndefined();
    }
  });

  test('tool input arrives as partial JSON strings and is forwarded as argument deltas', () => {
    const lines = loadStreamPayloads('vercel-ai', 'amazon-bedrock__amazon-bedrock-json-with-tool.1');
    const assembled = assemble(replayThreeWays(adapter, () => testContext(deployment), bedrockEventStreamBytes(lines)).whole.payloads);
    expect(assembled.toolCalls).toEqual([
      { index: 0, id: 'tool-1', name: 'get-weather', arguments: '{"location":"SF"}' },
      { index: 1, id: 'json-tool-id', name: 'json', arguments: '{"result":"data"}' },
    ]);
    expect(assembled.finishReason).toBe('tool_calls');
  });

  test('an exception message in the stream fails it with its class', () => {
    const mapper = adapter.createStreamMapper(testContext(deployment));
    expect(() => mapper.map({ event: 'exception:throttlingException', data: '{"message":"Too many requests"}' })).toThrow(
      expect.objectContaining({ code: 'upstream_rate_limited' }),
    );
    expect(() => mapper.map({ event: 'exception:validationException', data: '{"message":"Input is too long for requested model."}' })).toThrow(
      expect.objectContaining({ code: 'context_window_exceeded' }),
    );
  });
});

describe('Bedrock Converse answers (non-streaming)', () => {
  test.each(listFixtures('vercel-ai', 'amazon-bedrock__', '.json'))('%s', (name) => {
    const recorded = loadJsonFixture<{
      output: { message: { content: Array<{ text?: string; toolUse?: { toolUseId: string; name: string; input: unknown }; reasoningContent?: { reasoningText?: { text: string } } }> } };
      stopReason: string;
      usage: { inputTokens: number; outputTokens: number };
    }>('vercel-ai', name);
    const parsed = adapter.parseResponse(testContext(deployment, { stream: false }), Buffer.from(JSON.stringify(recorded)));
    const body = JSON.parse(parsed.body.toString()) as {
      choices: Array<{ message: { content: string | null; reasoning_content?: string; tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }> }; finish_reason: string }>;
      usage: { prompt_tokens: number; completion_tokens: number };
    };
    const content = recorded.output.message.content;
    expect(body.choices[0]!.message.content ?? '').toBe(content.map((block) => block.text ?? '').join(''));
    expect(body.choices[0]!.message.reasoning_content ?? '').toBe(content.map((block) => block.reasoningContent?.reasoningText?.text ?? '').join(''));
    expect((body.choices[0]!.message.tool_calls ?? []).map((call) => ({ id: call.id, name: call.function.name, input: JSON.parse(call.function.arguments) as unknown }))).toEqual(
      content.filter((block) => block.toolUse).map((block) => ({ id: block.toolUse!.toolUseId, name: block.toolUse!.name, input: block.toolUse!.input })),
    );
    expect(body.choices[0]!.finish_reason).toBe(mapBedrockFinishReason(recorded.stopReason));
    expect(body.usage).toMatchObject({ prompt_tokens: recorded.usage.inputTokens, completion_tokens: recorded.usage.outputTokens });
  });
});
