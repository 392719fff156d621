import { expect, test } from 'vitest';
import { jsonNestingExceeds, MAX_JSON_DEPTH } from './json-nesting.js';

const nested = (depth: number) => Buffer.from(`${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`);

test('a body nested exactly to the limit passes; one level more does not', () => {
  expect(jsonNestingExceeds(nested(MAX_JSON_DEPTH))).toBe(false);
  expect(jsonNestingExceeds(nested(MAX_JSON_DEPTH + 1))).toBe(true);
  expect(jsonNestingExceeds(Buffer.from(`${'['.repeat(10_000)}${']'.repeat(10_000)}`))).toBe(true);
});

test('many brackets side by side are not depth, and brackets inside strings do not count', () => {
  const wide = JSON.stringify({ messages: Array.from({ length: 500 }, () => ({ role: 'user', content: [{ type: 'text', text: 'x' }] })) });
  expect(jsonNestingExceeds(Buffer.from(wide))).toBe(false);
  const inString = JSON.stringify({ content: `${'{['.repeat(500)}\\"${'{'.repeat(500)}` });
  expect(jsonNestingExceeds(Buffer.from(inString))).toBe(false);
  // An escaped quote does not end the string: the brackets after it are still inside it.
  expect(jsonNestingExceeds(Buffer.from(`{"a":"\\"${'['.repeat(200)}"}`))).toBe(false);
});
