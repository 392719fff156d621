import { expect, test } from 'vitest';
import { addDuration, currentPeriod, isDuration } from './duration.js';

const at = (iso: string) => Date.parse(iso);

test('LiteLLM durations', () => {
  const start = at('2026-01-31T10:00:00Z');
  expect(addDuration(start, '30s')).toBe(start + 30_000);
  expect(addDuration(start, '30m')).toBe(start + 1_800_000);
  expect(addDuration(start, '30h')).toBe(start + 108_000_000);
  expect(addDuration(start, '30d')).toBe(at('2026-03-02T10:00:00Z'));
  expect(addDuration(start, '2w')).toBe(at('2026-02-14T10:00:00Z'));
  // Calendar months clamp to the end of a shorter month.
  expect(addDuration(start, '1mo')).toBe(at('2026-02-28T10:00:00Z'));
  expect(addDuration(at('2028-01-31T00:00:00Z'), '1mo')).toBe(at('2028-02-29T00:00:00Z'));
  expect(addDuration(at('2026-11-15T00:00:00Z'), '3mo')).toBe(at('2027-02-15T00:00:00Z'));
  expect(isDuration('0d')).toBe(false);
  expect(isDuration('5y')).toBe(false);
  expect(() => addDuration(start, 'soon')).toThrow(/not a duration/);
});

test('the current period keeps the schedule when a reset runs late', () => {
  const created = at('2026-05-01T09:00:00Z');
  expect(currentPeriod(created, '1d', at('2026-05-01T20:00:00Z'))).toEqual({ startMs: created, resetAtMs: at('2026-05-02T09:00:00Z') });
  // Three and a half days later: the period that began at 09:00 on the 4th.
  expect(currentPeriod(created, '1d', at('2026-05-04T21:00:00Z'))).toEqual({
    startMs: at('2026-05-04T09:00:00Z'),
    resetAtMs: at('2026-05-05T09:00:00Z'),
  });
  // Exactly at a boundary, the new period has begun.
  expect(currentPeriod(created, '1d', at('2026-05-02T09:00:00Z')).startMs).toBe(at('2026-05-02T09:00:00Z'));
});
