import { expect, test } from 'vitest';
import { jsonbParameter } from './jsonb-parameter.js';

test('NULs are dropped from every string, nested or not; text that only looks like the escape stays', () => {
  const value = { user: 'a\u0000b', tags: ['\u0000x'], metadata: { note: 'c\u0000\u0000d', path: 'C:\\u0000' } };
  expect(JSON.parse(jsonbParameter(value))).toEqual({ user: 'ab', tags: ['x'], metadata: { note: 'cd', path: 'C:\\u0000' } });
  expect(jsonbParameter({ plain: 'text' })).toBe('{"plain":"text"}');
});
