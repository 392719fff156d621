import { expect, test } from 'vitest';
import { advancePeriods, applyLimitFields, emptyLimitState, nextResetAt } from './limit-state.js';

const T0 = Date.parse('2026-06-01T00:00:00Z');
const DAY = 86_400_000;

test('USD fields become micro-USD; absent fields stay, null clears', () => {
  const created = applyLimitFields(emptyLimitState(T0), { max_budget: 0.1 + 0.2, rpm_limit: 10, models: ['a', 'a', 'b'], metadata: { x: 1 } }, T0);
  expect(created).toMatchObject({ max_budget_micros: 300_000, rpm_limit: 10, models: ['a', 'b'], metadata: { x: 1 } });
  const updated = applyLimitFields(created, { max_budget: null, tpm_limit: 5 }, T0 + 1);
  expect(updated).toMatchObject({ max_budget_micros: null, rpm_limit: 10, tpm_limit: 5, models: ['a', 'b'] });
});

test('budget_duration schedules resets; per-model budgets keep their period unless it changes', () => {
  const state = applyLimitFields(
    emptyLimitState(T0),
    { budget_duration: '1d', model_max_budget: { 'gpt-4o': { budget_limit: 1, time_period: '7d' }, 'o3': { budget_limit: 2 } } },
    T0,
  );
  expect(state.budget_reset_at).toBe(T0 + DAY);
  expect(state.model_budget_periods).toEqual({ 'gpt-4o': { start: T0, reset_at: T0 + 7 * DAY }, o3: { start: T0, reset_at: null } });
  expect(nextResetAt(state)).toBe(T0 + DAY);
  const later = applyLimitFields(state, { model_max_budget: { 'gpt-4o': { budget_limit: 5, time_period: '7d' } } }, T0 + DAY / 2);
  expect(later.model_budget_periods).toEqual({ 'gpt-4o': { start: T0, reset_at: T0 + 7 * DAY } });
  // Setting the same duration again does not restart the schedule.
  expect(applyLimitFields(state, { budget_duration: '1d' }, T0 + 5).budget_reset_at).toBe(T0 + DAY);
});

test('advancing periods moves only what is due', () => {
  const state = applyLimitFields(emptyLimitState(T0), { budget_duration: '1d', model_max_budget: { m: { budget_limit: 1, time_period: '7d' } } }, T0);
  expect(advancePeriods(state, T0 + DAY - 1).changed).toBe(false);
  const { state: next, changed } = advancePeriods(state, T0 + 2 * DAY + 5);
  expect(changed).toBe(true);
  expect(next.budget_period_start).toBe(T0 + 2 * DAY);
  expect(next.budget_reset_at).toBe(T0 + 3 * DAY);
  expect(next.model_budget_periods.m).toEqual({ start: T0, reset_at: T0 + 7 * DAY });
  expect(nextResetAt(next)).toBe(T0 + 3 * DAY);
});
