import { expect, test } from 'vitest';
import { extractApiKey } from './api-key.js';

test('x-litellm-api-key is read first, with or without Bearer', () => {
  expect(extractApiKey({ 'x-litellm-api-key': 'sk-litellm', authorization: 'Bearer sk-provider' })).toBe('sk-litellm');
  expect(extractApiKey({ 'x-litellm-api-key': 'Bearer sk-litellm' })).toBe('sk-litellm');
});

test('otherwise Authorization, api-key, x-api-key and the configured header, in that order', () => {
  expect(extractApiKey({ authorization: 'Bearer sk-a', 'x-api-key': 'sk-b' })).toBe('sk-a');
  expect(extractApiKey({ 'api-key': 'sk-c', 'x-api-key': 'sk-b' })).toBe('sk-c');
  expect(extractApiKey({ 'x-api-key': 'sk-b' })).toBe('sk-b');
  expect(extractApiKey({ 'x-my-key': 'sk-d' }, 'X-My-Key')).toBe('sk-d');
  expect(extractApiKey({})).toBe('');
});
