import type { LimitFieldsInput } from '@sluice/common';
import { addDuration, currentPeriod } from '../limits/duration.js';

// The budget and limit columns every entity table has, as stored (money in micro-USD, times in epoch
// milliseconds), and how an admin request's LiteLLM fields change them.

export interface ModelBudget {
  budget_limit: number;
  time_period?: string | null;
}

export interface ModelBudgetPeriod {
  start: number;
  reset_at: number | null;
}

export interface LimitState {
  models: string[];
  max_budget_micros: number | null;
  soft_budget_micros: number | null;
  budget_duration: string | null;
  budget_period_start: number;
  budget_reset_at: number | null;
  rpm_limit: number | null;
  tpm_limit: number | null;
  max_parallel_requests: number | null;
  model_max_budget: Record<string, ModelBudget>;
  model_budget_periods: Record<string, ModelBudgetPeriod>;
  model_rpm_limit: Record<string, number>;
  model_tpm_limit: Record<string, number>;
  metadata: Record<string, unknown>;
  blocked: boolean;
}

export const LIMIT_COLUMNS = [
  'models',
  'max_budget_micros',
  'soft_budget_micros',
  'budget_duration',
  'budget_period_start',
  'budget_reset_at',
  'next_reset_at',
  'rpm_limit',
  'tpm_limit',
  'max_parallel_requests',
  'model_max_budget',
  'model_budget_periods',
  'model_rpm_limit',
  'model_tpm_limit',
  'metadata',
  'blocked',
] as const;

export function emptyLimitState(nowMs: number): LimitState {
  return {
    models: [],
    max_budget_micros: null,
    soft_budget_micros: null,
    budget_duration: null,
    budget_period_start: nowMs,
    budget_reset_at: null,
    rpm_limit: null,
    tpm_limit: null,
    max_parallel_requests: null,
    model_max_budget: {},
    model_budget_periods: {},
    model_rpm_limit: {},
    model_tpm_limit: {},
    metadata: {},
    blocked: false,
  };
}

export function usdToMicros(usd: number): number {
  return Math.round(usd * 1_000_000);
}

export function microsToUsd(micros: number): number {
  return micros / 1_000_000;
}

const time = (value: unknown): number | null => (value === null || value === undefined ? null : Date.parse(String(value)));
const numberOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/** A row as returned by `row_to_json` (timestamps as ISO strings) to the state. */
export function limitStateFromRow(row: Record<string, unknown>): LimitState {
  return {
    models: (row.models as string[] | null) ?? [],
    max_budget_micros: numberOrNull(row.max_budget_micros),
    soft_budget_micros: numberOrNull(row.soft_budget_micros),
    budget_duration: (row.budget_duration as string | null) ?? null,
    budget_period_start: time(row.budget_period_start) ?? 0,
    budget_reset_at: time(row.budget_reset_at),
    rpm_limit: numberOrNull(row.rpm_limit),
    tpm_limit: numberOrNull(row.tpm_limit),
    max_parallel_requests: numberOrNull(row.max_parallel_requests),
    model_max_budget: (row.model_max_budget as Record<string, ModelBudget> | null) ?? {},
    model_budget_periods: (row.model_budget_periods as Record<string, ModelBudgetPeriod> | null) ?? {},
    model_rpm_limit: (row.model_rpm_limit as Record<string, number> | null) ?? {},
    model_tpm_limit: (row.model_tpm_limit as Record<string, number> | null) ?? {},
    metadata: (row.metadata as Record<string, unknown> | null) ?? {},
    blocked: row.blocked === true,
  };
}

/**
 * Spend carried in from before the row came to Sluice (an import from LiteLLM), for as long as the
 * period it was carried into is the current one.
 */
export function carriedSpendFromRow(row: Record<string, unknown>): number {
  const micros = Number(row.carried_spend_micros ?? 0);
  if (!micros || row.carried_period_start === null || row.carried_period_start === undefined) return 0;
  return time(row.carried_period_start) === time(row.budget_period_start) ? micros : 0;
}

/**
 * An entity's limits with its linked budget's (budget_id) filling every limit it does not set itself.
 * The budget's money is spent in the budget's period, so when its max_budget applies, so do its
 * budget_duration and period; the spend counted is still the entity's own.
 */
export function withBudget(own: LimitState, budget: LimitState | null): LimitState {
  if (!budget) return own;
  const budgetMoney = own.max_budget_micros === null && budget.max_budget_micros !== null;
  return {
    ...own,
    max_budget_micros: own.max_budget_micros ?? budget.max_budget_micros,
    soft_budget_micros: own.soft_budget_micros ?? budget.soft_budget_micros,
    rpm_limit: own.rpm_limit ?? budget.rpm_limit,
    tpm_limit: own.tpm_limit ?? budget.tpm_limit,
    max_parallel_requests: own.max_parallel_requests ?? budget.max_parallel_requests,
    ...(budgetMoney
      ? { budget_duration: budget.budget_duration, budget_period_start: budget.budget_period_start, budget_reset_at: budget.budget_reset_at }
      : {}),
  };
}

/** The earliest moment the reset job has something to do for this row. */
export function nextResetAt(state: LimitState): number | null {
  let next = state.budget_reset_at;
  for (const period of Object.values(state.model_budget_periods)) {
    if (period.reset_at !== null && (next === null || period.reset_at < next)) next = period.reset_at;
  }
  return next;
}

/** Column values in LIMIT_COLUMNS order, for INSERT and UPDATE parameters. */
export function limitColumnValues(state: LimitState): unknown[] {
  const next = nextResetAt(state);
  return [
    state.models,
    state.max_budget_micros,
    state.soft_budget_micros,
    state.budget_duration,
    new Date(state.budget_period_start),
    state.budget_reset_at === null ? null : new Date(state.budget_reset_at),
    next === null ? null : new Date(next),
    state.rpm_limit,
    state.tpm_limit,
    state.max_parallel_requests,
    JSON.stringify(state.model_max_budget),
    JSON.stringify(state.model_budget_periods),
    JSON.stringify(state.model_rpm_limit),
    JSON.stringify(state.model_tpm_limit),
    JSON.stringify(state.metadata),
    state.blocked,
  ];
}

/**
 * Applies the fields an admin request set (absent = unchanged, null = cleared). A new or changed
 * budget_duration starts its schedule now; the period already running keeps its spend.
 */
export function applyLimitFields(current: LimitState, fields: LimitFieldsInput & { tags?: string[] | null }, nowMs: number): LimitState {
  const next: LimitState = { ...current };
  if (fields.models !== undefined) next.models = [...new Set(fields.models)];
  if (fields.max_budget !== undefined) next.max_budget_micros = fields.max_budget === null ? null : usdToMicros(fields.max_budget);
  if (fields.soft_budget !== undefined) next.soft_budget_micros = fields.soft_budget === null ? null : usdToMicros(fields.soft_budget);
  if (fields.budget_duration !== undefined && fields.budget_duration !== current.budget_duration) {
    next.budget_duration = fields.budget_duration;
    next.budget_reset_at = fields.budget_duration === null ? null : addDuration(nowMs, fields.budget_duration);
  }
  if (fields.rpm_limit !== undefined) next.rpm_limit = fields.rpm_limit;
  if (fields.tpm_limit !== undefined) next.tpm_limit = fields.tpm_limit;
  if (fields.max_parallel_requests !== undefined) next.max_parallel_requests = fields.max_parallel_requests;
  if (fields.model_max_budget !== undefined) {
    const budgets = fields.model_max_budget ?? {};
    // Model names are user text: own properties only, and a null prototype so "__proto__" is a name.
    const periods: Record<string, ModelBudgetPeriod> = Object.create(null) as Record<string, ModelBudgetPeriod>;
    for (const [model, budget] of Object.entries(budgets)) {
      const previous = Object.hasOwn(current.model_budget_periods, model) ? current.model_budget_periods[model] : undefined;
      const previousBudget = Object.hasOwn(current.model_max_budget, model) ? current.model_max_budget[model] : undefined;
      const samePeriod = previous && (previousBudget?.time_period ?? null) === (budget.time_period ?? null);
      periods[model] = samePeriod
        ? previous
        : { start: nowMs, reset_at: budget.time_period ? addDuration(nowMs, budget.time_period) : null };
    }
    next.model_max_budget = budgets;
    next.model_budget_periods = periods;
  }
  if (fields.model_rpm_limit !== undefined) next.model_rpm_limit = fields.model_rpm_limit ?? {};
  if (fields.model_tpm_limit !== undefined) next.model_tpm_limit = fields.model_tpm_limit ?? {};
  if (fields.metadata !== undefined) next.metadata = fields.metadata ?? {};
  // LiteLLM's `tags` on keys and teams live in metadata.tags.
  if (fields.tags !== undefined) {
    const { tags: _previous, ...rest } = next.metadata;
    next.metadata = fields.tags === null ? rest : { ...rest, tags: [...new Set(fields.tags)] };
  }
  if (fields.blocked !== undefined) next.blocked = fields.blocked;
  return next;
}

/** Moves every period that has ended to the one containing `nowMs`; false when nothing was due. */
export function advancePeriods(state: LimitState, nowMs: number): { state: LimitState; changed: boolean } {
  let changed = false;
  const next: LimitState = { ...state, model_budget_periods: { ...state.model_budget_periods } };
  if (state.budget_duration && state.budget_reset_at !== null && state.budget_reset_at <= nowMs) {
    const period = currentPeriod(state.budget_reset_at, state.budget_duration, nowMs);
    next.budget_period_start = period.startMs;
    next.budget_reset_at = period.resetAtMs;
    changed = true;
  }
  for (const [model, period] of Object.entries(state.model_budget_periods)) {
    const duration = state.model_max_budget[model]?.time_period;
    if (!duration || period.reset_at === null || period.reset_at > nowMs) continue;
    const current = currentPeriod(period.reset_at, duration, nowMs);
    next.model_budget_periods[model] = { start: current.startMs, reset_at: current.resetAtMs };
    changed = true;
  }
  return { state: next, changed };
}
