import { expect, test } from 'vitest';
import { lastDays, parseDayRange, rangeBounds } from './day-range.js';

test('days are inclusive UTC dates', () => {
  expect(rangeBounds(parseDayRange('2026-11-01', '2026-11-21', 'from', 'to')).map((date) => date.toISOString())).toEqual([
    '2026-11-01T00:00:00.000Z',
    '2026-11-22T00:00:00.000Z',
  ]);
  expect(lastDays(30, new Date('2026-11-21T23:59:00Z'))).toEqual({ from: '2026-10-23', to: '2026-11-21' });
  expect(() => parseDayRange('2026-11-31', '2026-12-01', 'from', 'to')).toThrow(/'from'/);
  expect(() => parseDayRange('21/11/2026', '2026-12-01', 'from', 'to')).toThrow(/YYYY-MM-DD/);
});
