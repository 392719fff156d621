import { expect, test } from 'vitest';
import { jsonNestingExceeds, MAX_JSON_DEPTH } from './json-nesting.js';

const exceeds = (text: string) => jsonNestingExceeds(Buffer.from(text), JSON.parse(text));
const nested = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;

test('a body nested exactly to the limit passes; one level more does not', () => {
  expect(exceeds(nested(MAX_JSON_DEPTH))).toBe(false);
  expect(exceeds(nested(MAX_JSON_DEPTH + 1))).toBe(true);
  expect(exceeds(`${'['.repeat(10_000)}${']'.repeat(10_000)}`)).toBe(true);
  expect(exceeds(`{"__proto__":${nested(MAX_JSON_DEPTH)}}`)).toBe(true);
});

test('many brackets side by side are not depth, and brackets inside strings do not count', () => {
  const wide = JSON.stringify({ messages: Array.from({ length: 500 }, () => ({ role: 'user', content: [{ type: 'text', text: 'x' }] })) });
  expect(exceeds(wide)).toBe(false);
  expect(exceeds(JSON.stringify({ content: `${'{['.repeat(500)}\\"${'{'.repeat(500)}` }))).toBe(false);
});
