import { expect, test } from 'vitest';
import { formatNanosUsd, formatUsd, toUsd } from './usd.js';

test('micro-USD print exactly, with six places', () => {
  expect(formatUsd(0)).toBe('0.000000');
  expect(formatUsd(1)).toBe('0.000001');
  expect(formatUsd(1_234_567)).toBe('1.234567');
  expect(formatUsd(9_007_199_254_740_991)).toBe('9007199254.740991');
  expect(formatUsd(-25)).toBe('-0.000025');
  expect(toUsd(1_500_000)).toBe(1.5);
});

test('nano-USD print exactly with nine places', () => {
  expect(formatNanosUsd(0)).toBe('0.000000000');
  expect(formatNanosUsd(9_750)).toBe('0.000009750');
  expect(formatNanosUsd(1_234_567_891)).toBe('1.234567891');
  expect(formatNanosUsd(-140)).toBe('-0.000000140');
});
