// Anthropic Messages clients of Claude on Bedrock: InvokeModel with the Messages body, and every recorded
// Anthropic stream wrapped the way Bedrock wraps it (event-stream `chunk` messages of base64 events),
// whole, in 7-byte pieces and byte by byte.
import { CallType } from '@sluice/proto';
import { listFixtures, loadStreamPayloads } from '@sluice/testing';
import { describe, expect, test } from 'vitest';
import { adapterForCall } from '../inbound/adapter-for-call.js';
import { providerFor } from '../provider-registry.js';
import { createEventStreamCodec } from '../shared/aws-event-stream-decoder.js';
import { decodeSse } from '../testing/anthropic-events.test-support.js';
import { replayThreeWays, testContext, testDeployment } from '../testing/contract-replay.test-support.js';

const entry = providerFor('bedrock')!;
const deployment = testDeployment('bedrock', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', {
  params: { model: 'bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0', aws_access_key_id: 'AKIDEXAMPLE', aws_secret_access_key: 'secret', aws_region_name: 'us-east-1' },
});
const claude = entry.adapterFor!(deployment);
const messagesContext = (overrides = {}) => testContext(deployment, { callType: CallType.CALL_TYPE_ANTHROPIC_MESSAGES, includeUsage: false, body: { model: 'claude' }, ...overrides });

function bedrockChunks(payloads: string[]): Buffer {
  const codec = createEventStreamCodec();
  return Buffer.concat(
    payloads.map((payload) =>
      codec.encode({
        headers: {
          ':event-type': { type: 'string', value: 'chunk' },
          ':content-type': { type: 'string', value: 'application/json' },
          ':message-type': { type: 'string', value: 'event' },
        },
        body: Buffer.from(JSON.stringify({ bytes: Buffer.from(payload).toString('base64'), p: 'abcdef' })),
      }),
    ),
  );
}

describe('Claude on Bedrock for Messages clients', () => {
  test('Claude models get the native adapter, other Bedrock models the Converse one', () => {
    expect(adapterForCall(claude, CallType.CALL_TYPE_ANTHROPIC_MESSAGES)).toBe(claude);
    expect(entry.adapterFor!(testDeployment('bedrock', 'amazon.nova-pro-v1:0'))).toBe(entry.adapter);
  });

  test('InvokeModel with the Messages body: cache_control kept, anthropic_version and betas in the body', async () => {
    const body = {
      model: 'claude',
      max_tokens: 64,
      stream: true,
      system: [{ type: 'text', text: 'Stable preamble.', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi', cache_control: { type: 'ephemeral' } }] }],
    };
    const request = await claude.buildRequest(messagesContext({ body, clientHeaders: { 'anthropic-beta': 'a-1, b-2' } }), body);
    expect(request.path).toBe('/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke-with-response-stream');
    expect(String(request.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\//);
    expect(JSON.parse(request.body as string)).toEqual({
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 64,
      system: body.system,
      messages: body.messages,
      anthropic_beta: ['a-1', 'b-2'],
    });
    const plain = await claude.buildRequest(messagesContext({ stream: false, body: { ...body, stream: false } }), { ...body, stream: false });
    expect(plain.path.endsWith('/invoke')).toBe(true);
  });

  test.each(listFixtures('vercel-ai', 'anthropic__', '.chunks.txt'))('%s: the Anthropic events, however the bytes are cut', (name) => {
    const payloads = loadStreamPayloads('vercel-ai', name);
    const { whole, seven, single } = replayThreeWays(claude, () => messagesContext(), bedrockChunks(payloads));
    expect(seven.payloads).toEqual(whole.payloads);
    expect(single.payloads).toEqual(whole.payloads);
    expect(decodeSse(whole.payloads.join('')).map((event) => event.data)).toEqual(payloads);
    expect(whole.done).toBe(payloads.some((payload) => payload.includes('"message_stop"')));
  });

  test('a Bedrock exception in the stream fails it with its class', () => {
    const mapper = claude.createStreamMapper(messagesContext());
    expect(() => mapper.map({ event: 'exception:throttlingException', data: '{"message":"slow down"}' })).toThrow(expect.objectContaining({ code: 'upstream_rate_limited' }));
  });
});
