import { expect, test } from 'vitest';
import { advancePeriods, applyLimitFields, emptyLimitState, nextResetAt, withBudget } from './limit-state.js';

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

test('a linked budget fills the limits a row does not set; its period applies with its max_budget only', () => {
  const budget = applyLimitFields(emptyLimitState(T0), { max_budget: 5, rpm_limit: 10, tpm_limit: 1000, budget_duration: '30d' }, T0);
  const own = applyLimitFields(emptyLimitState(T0 + DAY), { rpm_limit: 2 }, T0 + DAY);
  const merged = withBudget(own, budget);
  expect(merged).toMatchObject({ max_budget_micros: 5_000_000, rpm_limit: 2, tpm_limit: 1000, budget_duration: '30d' });
  // The budget's money is spent in the budget's period.
  expect(merged.budget_period_start).toBe(T0);
  expect(merged.budget_reset_at).toBe(budget.budget_reset_at);
  // A row with its own max_budget keeps its own period and duration.
  const ownMoney = withBudget(applyLimitFields(emptyLimitState(T0 + DAY), { max_budget: 1 }, T0 + DAY), budget);
  expect(ownMoney).toMatchObject({ max_budget_micros: 1_000_000, budget_duration: null, budget_period_start: T0 + DAY, rpm_limit: 10 });
  expect(withBudget(own, null)).toBe(own);
});
