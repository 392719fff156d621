import { describe, expect, test } from 'vitest';
import { budgetFraction, formatAxisUsd, formatBudget, formatCount, formatExpiry, formatLimits, formatModels, formatMs, formatTime, formatUsd, formatUsdExact, millisBetween } from './format.js';

describe('money', () => {
  test('exact dollars from micro-USD, six places, as the usage report prints them', () => {
    expect(formatUsdExact(12_345_678)).toBe('12.345678');
    expect(formatUsdExact(7)).toBe('0.000007');
    expect(formatUsdExact(0)).toBe('0.000000');
    expect(formatUsdExact(-1_500_000)).toBe('-1.500000');
  });

  test('to the cent, rounded half up, with thousands separators', () => {
    expect(formatUsd(1_234_567)).toBe('$1.23');
    expect(formatUsd(1_235_000)).toBe('$1.24');
    expect(formatUsd(4_999)).toBe('$0.00');
    expect(formatUsd(5_000)).toBe('$0.01');
    expect(formatUsd(1_234_567_890_000)).toBe('$1,234,567.89');
    // Summing micros and rounding once: 0.1 + 0.2 dollars is exactly 30 cents.
    expect(formatUsd(100_000 + 200_000)).toBe('$0.30');
  });

  test('chart axis labels carry the decimals their step needs', () => {
    expect(formatAxisUsd(0.0015, 0.0005)).toBe('$0.0015');
    expect(formatAxisUsd(0.00002, 0.00001)).toBe('$0.00002');
    expect(formatAxisUsd(2, 0.5)).toBe('$2.00');
    expect(formatAxisUsd(0.001, 0.001)).toBe('$0.001');
  });

  test('budgets in USD as the admin API answers them; unset is empty', () => {
    expect(formatBudget(25)).toBe('$25.00');
    expect(formatBudget(0.036460)).toBe('$0.04');
    expect(formatBudget(null)).toBe('');
    expect(formatBudget(undefined)).toBe('');
  });

  test('budget bar fraction: capped at full, undefined without a cap', () => {
    expect(budgetFraction(5, 20)).toBe(0.25);
    expect(budgetFraction(30, 20)).toBe(1);
    expect(budgetFraction(undefined, 20)).toBe(0);
    expect(budgetFraction(5, null)).toBeUndefined();
    expect(budgetFraction(0, 0)).toBe(1);
  });
});

describe('counts, times and limits', () => {
  test('compact counts', () => {
    expect(formatCount(950)).toBe('950');
    expect(formatCount(12_300)).toBe('12.3k');
    expect(formatCount(200_000)).toBe('200k');
    expect(formatCount(4_500_000)).toBe('4.5M');
    expect(formatCount(null)).toBe('');
  });

  test('durations and times (UTC)', () => {
    expect(formatMs(340.4)).toBe('340 ms');
    expect(formatMs(2_449)).toBe('2.4 s');
    expect(formatMs(undefined)).toBe('');
    expect(formatTime('2026-11-20T14:03:09.123Z')).toBe('2026-11-20 14:03:09');
    expect(formatTime('nonsense')).toBe('');
    expect(millisBetween('2026-11-20T14:03:09.000Z', '2026-11-20T14:03:09.250Z')).toBe(250);
    expect(millisBetween('2026-11-20T14:03:09.000Z', null)).toBeUndefined();
  });

  test('expiry relative to now', () => {
    const now = Date.parse('2026-11-20T00:00:00Z');
    expect(formatExpiry(null, now)).toBe('never');
    expect(formatExpiry('2026-11-19T00:00:00Z', now)).toBe('expired');
    expect(formatExpiry('2026-11-20T00:30:00Z', now)).toBe('in 30 min');
    expect(formatExpiry('2026-11-20T05:00:00Z', now)).toBe('in 5 h');
    expect(formatExpiry('2027-02-18T00:00:00Z', now)).toBe('in 90 d');
  });

  test('limits and models', () => {
    expect(formatLimits({ rpm_limit: 600, tpm_limit: 200_000, max_parallel_requests: 20 })).toBe('600 rpm · 200k tpm · 20 parallel');
    expect(formatLimits({ rpm_limit: null })).toBe('none');
    expect(formatModels([])).toBe('all models');
    expect(formatModels(['gpt-4o', 'gpt-4o-mini'])).toBe('gpt-4o, gpt-4o-mini');
  });
});
