import { expect, test } from 'vitest';
import { formatUsd, toUsd } from './usd.js';

test('micro-USD print exactly, with six places', () => {
  expect(formatUsd(0)).toBe('0.000000');
  expect(formatUsd(1)).toBe('0.000001');
  expect(formatUsd(1_234_567)).toBe('1.234567');
  expect(formatUsd(9_007_199_254_740_991)).toBe('9007199254.740991');
  expect(formatUsd(-25)).toBe('-0.000025');
  expect(toUsd(1_500_000)).toBe(1.5);
});
