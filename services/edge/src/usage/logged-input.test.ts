import { expect, test } from 'vitest';
import { loggedInput } from './logged-input.js';

test('the prompt as logged: chat as it is, the system prompt of Messages and Responses first', () => {
  const messages = [{ role: 'user', content: 'hi' }];
  expect(loggedInput({ messages })).toBe(JSON.stringify(messages));
  expect(loggedInput({ prompt: 'Say hi' })).toBe('"Say hi"');
  expect(loggedInput({})).toBe('null');
  const blocks = [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }];
  expect(JSON.parse(loggedInput({ system: blocks, messages }))).toEqual([{ role: 'system', content: blocks }, ...messages]);
  expect(JSON.parse(loggedInput({ instructions: 'Be brief.', input: 'hi' }))).toEqual([
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'hi' },
  ]);
  expect(loggedInput({ input: 'hi' })).toBe('"hi"');
});
