import { expect, test } from 'vitest';
import { uuidv7 } from './ids.js';

test('uuidv7 ids are well-formed, unique and ordered by time', () => {
  const ids = Array.from({ length: 5000 }, (_, index) => uuidv7(1_700_000_000_000 + index));
  for (const id of ids.slice(0, 50)) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(new Set(ids).size).toBe(ids.length);
  expect([...ids].sort()).toEqual(ids);
});
