// `azure/responses/<model>`: a deployment that serves only the Responses API. Recorded Responses streams
// and answers become chat for chat clients (whole, in 7-byte pieces and byte by byte); Responses clients
// pass through; Messages clients arrive through chat.
import { CallType } from '@sluice/proto';
import { listFixtures, loadJsonFixture, loadStreamPayloads } from '@sluice/testing';
import { describe, expect, test } from 'vitest';
import { adapterForCall } from '../inbound/adapter-for-call.js';
import { providerFor } from '../provider-registry.js';
import { assemble, replayThreeWays, testContext, testDeployment } from '../testing/contract-replay.test-support.js';

const entry = providerFor('azure')!;
const deployment = testDeployment('azure', 'responses/gpt-5-codex', { apiBase: 'https://res.openai.azure.com' });
const adapter = entry.adapterFor!(deployment);
const chatContext = (stream = true) => testContext(deployment, { stream, body: { model: 'codex' } });

const streams = listFixtures('vercel-ai', 'openai__responses__', '.chunks.txt').filter((name) => !name.includes('error') && !name.includes('parallel-tool-call-wrapper'));

describe('azure/responses/<model>', () => {
  test('is its own adapter; plain azure deployments are not', () => {
    expect(adapter).not.toBe(entry.adapter);
    expect(entry.adapterFor!(testDeployment('azure', 'my-gpt4o'))).toBe(entry.adapter);
  });

  test.each(streams)('%s: as chat chunks, however the bytes are cut', (name) => {
    const payloads = loadStreamPayloads('vercel-ai', name);
    const bytes = Buffer.from(payloads.map((payload) => `event: ${(JSON.parse(payload) as { type: string }).type}\ndata: ${payload}\n\n`).join(''));
    const { whole, seven, single } = replayThreeWays(adapter, () => chatContext(), bytes);
    expect(seven.payloads).toEqual(whole.payloads);
    expect(single.payloads).toEqual(whole.payloads);
    expect(whole.done).toBe(true);
    const events = payloads.map((line) => JSON.parse(line) as { type: string; delta?: string; item?: { type: string; call_id?: string; name?: string; arguments?: string } });
    const assembled = assemble(whole.payloads);
    expect(assembled.text).toBe(events.filter((event) => event.type === 'response.output_text.delta').map((event) => event.delta).join(''));
    const calls = events.filter((event) => event.type === 'response.output_item.done' && event.item?.type === 'function_call').map((event) => event.item!);
    expect(assembled.toolCalls.map(({ id, name: tool, arguments: args }) => ({ id, name: tool, arguments: args }))).toEqual(calls.map((call) => ({ id: call.call_id, name: call.name, arguments: call.arguments })));
    expect(assembled.finishReason).toBe(calls.length > 0 ? 'tool_calls' : 'stop');
    expect(assembled.usage?.completion_tokens).toBeGreaterThan(0);
  });

  test('a Responses answer as a chat completion', () => {
    const raw = Buffer.from(JSON.stringify(loadJsonFixture('vercel-ai', 'openai__responses__openai-reasoning-encrypted-content.1')));
    const parsed = adapter.parseResponse(chatContext(false), raw);
    const body = JSON.parse(parsed.body.toString()) as { object: string; choices: Array<{ message: { content: string | null; tool_calls?: unknown[] } }> };
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0]!.message.content).toMatch(/570/);
    expect(parsed.usage?.promptTokens).toBeGreaterThan(0);
  });

  test('a chat request goes to the Responses endpoint with the deployment name', async () => {
    const body = {
      model: 'codex',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '18C' },
      ],
      max_tokens: 50,
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: {} } } }],
      stream: true,
    };
    const request = await adapter.buildRequest(testContext(deployment, { body }), body);
    expect(request.path).toBe('/openai/responses?api-version=2025-04-01-preview');
    expect(request.headers['api-key']).toBe('sk-provider-key');
    expect(JSON.parse(request.body as string)).toEqual({
      model: 'gpt-5-codex',
      input: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather?' },
        { type: 'function_call', call_id: 'call_1', name: 'weather', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: '18C' },
      ],
      store: false,
      max_output_tokens: 50,
      tools: [{ type: 'function', name: 'weather', parameters: { type: 'object', properties: {} }, strict: false }],
      stream: true,
    });
  });

  test('Responses clients pass through with the deployment name; Messages clients arrive through chat', async () => {
    const body = { model: 'codex', input: 'hi' };
    const raw = Buffer.from(JSON.stringify(body));
    const native = adapterForCall(adapter, CallType.CALL_TYPE_RESPONSES);
    expect(native).toBe(adapter);
    const request = await native.buildRequest(testContext(deployment, { callType: CallType.CALL_TYPE_RESPONSES, body, rawBody: raw }), body);
    expect(Buffer.from(request.body as Buffer).toString()).toBe('{"model":"gpt-5-codex","input":"hi"}');
    const messages = { model: 'codex', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
    const bridged = await adapterForCall(adapter, CallType.CALL_TYPE_ANTHROPIC_MESSAGES).buildRequest(testContext(deployment, { callType: CallType.CALL_TYPE_ANTHROPIC_MESSAGES, body: messages }), messages);
    expect(JSON.parse(bridged.body as string)).toMatchObject({ model: 'gpt-5-codex', input: [{ role: 'user', content: 'hi' }], max_output_tokens: 10 });
  });
});
