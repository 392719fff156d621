// Ollama has no recorded traffic in ../shared/fixtures; these NDJSON lines follow its /api/chat docs.
import { describe, expect, test } from 'vitest';
import { assemble, replayThreeWays, testContext, testDeployment } from '../testing/contract-replay.test-support.js';
import { createOllamaProvider } from './ollama-chat.js';

const adapter = createOllamaProvider();
const deployment = testDeployment('ollama', 'llama3.2');
const lines = [
  { model: 'llama3.2', created_at: '2026-01-01T00:00:00Z', message: { role: 'assistant', content: 'Let me ' }, done: false },
  { model: 'llama3.2', created_at: '2026-01-01T00:00:00Z', message: { role: 'assistant', content: 'check.' }, done: false },
  { model: 'llama3.2', created_at: '2026-01-01T00:00:00Z', message: { role: 'assistant', content: '', tool_calls: [{ function: { name: 'weather', arguments: { city: 'Paris' } } }] }, done: false },
  { model: 'llama3.2', created_at: '2026-01-01T00:00:01Z', message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', prompt_eval_count: 26, eval_count: 12 },
];
const bytes = Buffer.from(lines.map((line) => `${JSON.stringify(line)}\n`).join(''));

describe('Ollama', () => {
  test('NDJSON stream: same chunks whole, in 7-byte pieces and byte by byte; text, tool call, finish and usage', () => {
    const { whole, seven, single } = replayThreeWays(adapter, () => testContext(deployment), bytes);
    expect(seven.payloads).toEqual(whole.payloads);
    expect(single.payloads).toEqual(whole.payloads);
    expect(whole.done).toBe(true);
    const assembled = assemble(whole.payloads);
    expect(assembled.text).toBe('Let me check.');
    expect(assembled.toolCalls).toEqual([{ index: 0, id: expect.stringMatching(/^call_/), name: 'weather', arguments: '{"city":"Paris"}' }]);
    expect(assembled.finishReason).toBe('tool_calls');
    expect(assembled.usage).toMatchObject({ prompt_tokens: 26, completion_tokens: 12, total_tokens: 38 });
  });

  test('an error line fails the stream; a non-streaming answer becomes a chat.completion', () => {
    const mapper = adapter.createStreamMapper(testContext(deployment));
    expect(() => mapper.map({ event: undefined, data: '{"error":"model not found"}' })).toThrow(expect.objectContaining({ code: 'upstream_stream_error' }));
    const parsed = adapter.parseResponse(testContext(deployment, { stream: false }), Buffer.from(JSON.stringify({ ...lines[3], message: { role: 'assistant', content: 'Hi' }, done_reason: 'length' })));
    expect(JSON.parse(parsed.body.toString())).toMatchObject({ object: 'chat.completion', choices: [{ message: { content: 'Hi' }, finish_reason: 'length' }], usage: { prompt_tokens: 26, completion_tokens: 12 } });
  });
});
