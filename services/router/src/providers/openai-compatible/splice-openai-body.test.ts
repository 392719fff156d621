// Splicing the client's bytes must give the provider the same JSON as serializing the parsed body.
import { CallType } from '@sluice/proto';
import { describe, expect, test } from 'vitest';
import { testContext, testDeployment } from '../testing/contract-replay.test-support.js';
import { createOpenAiCompatibleProvider } from './create-openai-compatible-provider.js';
import { spliceOpenAiBody } from './splice-openai-body.js';

const adapter = createOpenAiCompatibleProvider();
const deployment = testDeployment('openai', 'gpt-4.1-nano');

async function built(raw: string, stream: boolean, withRaw: boolean): Promise<{ body: string | Buffer | undefined }> {
  const body = JSON.parse(raw) as Record<string, unknown>;
  const context = testContext(deployment, { callType: CallType.CALL_TYPE_CHAT_COMPLETION, stream, body, ...(withRaw ? { rawBody: Buffer.from(raw) } : {}) });
  return adapter.buildRequest(context, body);
}

const bodies = [
  '{"model":"alias","messages":[{"role":"user","content":"hi"}]}',
  '{ "messages": [{"role": "user", "content": "the \\"model\\": field"}], "model" : "alias" , "temperature": 0.2 }',
  '{"model":"alias","messages":[{"role":"user","content":"ü 中文 \\n"}],"stream":true}',
  '{"model":"alias","messages":[],"stream":true,"stream_options":{"include_usage":true}}',
  '{"model":"alias","messages":[],"stream":true,"stream_options":{"include_usage":false}}',
  '{"model":"alias","messages":[],"metadata":{"a":1}}',
  '{"model":"alias","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"model":{"type":"string"}}}}]}',
  '{"model":"al\\u0069as","messages":[]}',
  '{"model":"alias","messages":[],"model":"other"}',
  '{"model":"alias"}\n',
];

describe('spliced OpenAI bodies', () => {
  test.each(bodies.flatMap((raw) => [[raw, false] as const, [raw, true] as const]))('%s (stream %s) is the serialized body', async (raw, stream) => {
    const spliced = await built(raw, stream, true);
    const serialized = await built(raw, stream, false);
    expect(JSON.parse(String(spliced.body))).toEqual(JSON.parse(String(serialized.body)));
    expect(Object.keys(JSON.parse(String(spliced.body)))).toEqual(Object.keys(JSON.parse(String(serialized.body))));
  });

  test('plain bodies are spliced, not re-serialized (whitespace kept)', () => {
    const raw = '{ "model" : "alias", "messages": [] }';
    expect(spliceOpenAiBody(Buffer.from(raw), JSON.parse(raw) as Record<string, unknown>, 'gpt-x', false, [])?.toString()).toBe('{ "model" : "gpt-x", "messages": [] }');
  });

  test('bodies that cannot be spliced safely fall back', () => {
    const cases = [
      '{"model":"al\\u0069as","messages":[]}',
      '{"model":"alias","messages":[],"model":"other"}',
      '{"messages":[{"role":"user","content":"x","model":"alias"}],"model":"alias"}',
    ];
    for (const raw of cases) expect(spliceOpenAiBody(Buffer.from(raw), JSON.parse(raw) as Record<string, unknown>, 'gpt-x', false, [])).toBeUndefined();
  });
});
