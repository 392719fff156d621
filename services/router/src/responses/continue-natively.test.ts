// Which Responses follow-ups carry their stored conversation instead of previous_response_id, and how.
import { CallType } from '@sluice/proto';
import { describe, expect, test } from 'vitest';
import { adapterForCall } from '../providers/inbound/adapter-for-call.js';
import { providerFor } from '../providers/provider-registry.js';
import { needsStoredInput, withStoredInput } from './continue-natively.js';

const openAi = adapterForCall(providerFor('openai')!.adapter, CallType.CALL_TYPE_RESPONSES);
const bridged = adapterForCall(providerFor('anthropic')!.adapter, CallType.CALL_TYPE_RESPONSES);
const history = [{ role: 'user', content: 'Hello?' }];

describe('needsStoredInput', () => {
  test('only a native deployment other than the one that made the response', () => {
    expect(needsStoredInput(openAi, 'gpt-a', history, 'gpt-a')).toBe(false);
    expect(needsStoredInput(openAi, 'gpt-a', history, 'gpt-b')).toBe(true);
    // Made through the chat bridge, or answered from the cache: no provider knows it.
    expect(needsStoredInput(openAi, 'gpt-a', history, null)).toBe(true);
    // The bridge sends the conversation anyway; an id the key does not own, or no store, goes as it is.
    expect(needsStoredInput(bridged, 'claude', history, null)).toBe(false);
    expect(needsStoredInput(openAi, 'gpt-a', null, null)).toBe(false);
    expect(needsStoredInput(openAi, 'gpt-a', undefined, undefined)).toBe(false);
  });
});

describe('withStoredInput', () => {
  test('the conversation as input items before the request\'s own, tool calls and results included', () => {
    const conversation = [
      { role: 'user', content: 'What is 2+2?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'add', arguments: '{"a":2,"b":2}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '4' },
      { role: 'assistant', content: [{ type: 'text', text: 'It is 4.' }] },
    ];
    const body = { model: 'gpt', input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'And 3+3?' }] }], previous_response_id: 'resp_1', store: true };
    expect(withStoredInput(body, conversation)).toEqual({
      model: 'gpt',
      store: true,
      input: [
        { role: 'user', content: 'What is 2+2?' },
        { type: 'function_call', call_id: 'call_1', name: 'add', arguments: '{"a":2,"b":2}' },
        { type: 'function_call_output', call_id: 'call_1', output: '4' },
        { role: 'assistant', content: [{ type: 'output_text', text: 'It is 4.' }] },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'And 3+3?' }] },
      ],
    });
    expect(withStoredInput({ model: 'gpt', input: 'Next', previous_response_id: 'resp_1' }, history)).toEqual({
      model: 'gpt',
      input: [
        { role: 'user', content: 'Hello?' },
        { role: 'user', content: 'Next' },
      ],
    });
  });
});
