import { entityScopeName, type EntityKind } from '../keys/key-record.js';
import { nanosToUsd } from '@sluice/pricing';
import { carriedSpendFromRow, type LimitState, limitStateFromRow, microsToUsd, withBudget } from '../entities/limit-state.js';
import { LEDGER_COLUMN, type SpendSource } from '../limits/request-scopes.js';
import { ledgerSpend } from '../budgets/spend-ledger.js';
import type { AdminContext } from './admin-context.js';
import type { Row } from './entity-tables.js';

// The JSON the admin API answers with, in LiteLLM's field names (money in USD), plus the live usage
// policy counts: spend settled so far in the current period, money held by requests in flight, and the
// current minute's requests and tokens.

export interface LiveUsage {
  spendNanos: number;
  reservedNanos: number;
  requests: number;
  tokens: number;
  parallel: number;
  /** "live" from the counters; "ledger" when the counters were unreachable and spend came from Postgres. */
  source: 'live' | 'ledger';
}

const iso = (value: unknown): string | null => (value === null || value === undefined ? null : new Date(String(value)).toISOString());
const usdOrNull = (micros: number | null): number | null => (micros === null ? null : microsToUsd(micros));


function spendSource(kind: EntityKind, id: string, row: Row, state: LimitState): SpendSource {
  const values = kind === 'key' ? [String(row.token), ...((row.retired_tokens as string[] | null) ?? [])] : [id];
  return { column: LEDGER_COLUMN[kind], values, modelGroup: undefined, sinceMs: state.budget_period_start, carriedMicros: carriedSpendFromRow(row) };
}

/** The budgets the rows link (budget_id), by id: their period may be the one the rows spend in. */
async function linkedBudgets(context: AdminContext, rows: Row[]): Promise<Map<string, LimitState>> {
  const ids = [...new Set(rows.map((row) => row.budget_id).filter((id): id is string => typeof id === 'string'))];
  if (ids.length === 0) return new Map();
  const result = await context.sql.query<{ id: string; row: Row }>('SELECT budget_id AS id, row_to_json(b) AS row FROM budgets b WHERE budget_id = ANY($1)', [ids]);
  return new Map(result.rows.map(({ id, row }) => [id, limitStateFromRow(row)]));
}

/** Live usage of several entities with one read of the counters (and the ledger for any never counted). */
export async function liveUsage(context: AdminContext, kind: EntityKind, idColumn: string, rows: Row[]): Promise<LiveUsage[]> {
  const budgets = await linkedBudgets(context, rows);
  const items = rows.map((row) => {
    const id = String(row[idColumn]);
    // The period a decision counts in: the row's own, or its budget's when the budget's money applies.
    const state = withBudget(limitStateFromRow(row), budgets.get(String(row.budget_id)) ?? null);
    const counted = { ...row, budget_period_start: new Date(state.budget_period_start).toISOString() };
    return { name: entityScopeName(kind, id), periodStart: state.budget_period_start, source: spendSource(kind, id, counted, state) };
  });
  if (items.length === 0) return [];
  try {
    const usages = await context.store.read(items, context.now());
    const unseeded = usages.map((usage, index) => (usage.spentNanos === undefined ? index : -1)).filter((index) => index >= 0);
    const seeded = await Promise.all(unseeded.map((index) => ledgerSpend(context.sql, items[index]!.source)));
    await context.store.seed(unseeded.map((index, at) => ({ name: items[index]!.name, periodStart: items[index]!.periodStart, spentNanos: seeded[at]! })));
    return usages.map((usage, index) => ({
      spendNanos: usage.spentNanos ?? seeded[unseeded.indexOf(index)] ?? 0,
      reservedNanos: usage.reservedNanos,
      requests: usage.requests,
      tokens: usage.tokens,
      parallel: usage.parallel,
      source: 'live',
    }));
  } catch (error) {
    context.logger.warn({ err: error }, 'limit store unavailable; reporting spend from the ledger');
    const spent = await Promise.all(items.map((item) => ledgerSpend(context.sql, item.source)));
    return spent.map((spendNanos) => ({ spendNanos, reservedNanos: 0, requests: 0, tokens: 0, parallel: 0, source: 'ledger' }));
  }
}

function limitView(state: LimitState) {
  return {
    models: state.models,
    max_budget: usdOrNull(state.max_budget_micros),
    soft_budget: usdOrNull(state.soft_budget_micros),
    budget_duration: state.budget_duration,
    budget_period_start: new Date(state.budget_period_start).toISOString(),
    budget_reset_at: state.budget_reset_at === null ? null : new Date(state.budget_reset_at).toISOString(),
    rpm_limit: state.rpm_limit,
    tpm_limit: state.tpm_limit,
    max_parallel_requests: state.max_parallel_requests,
    model_max_budget: state.model_max_budget,
    model_rpm_limit: state.model_rpm_limit,
    model_tpm_limit: state.model_tpm_limit,
    metadata: state.metadata,
    blocked: state.blocked,
  };
}

function usageView(usage: LiveUsage | undefined) {
  if (!usage) return {};
  return {
    spend: nanosToUsd(usage.spendNanos),
    // Micro-USD as LiteLLM-era clients read them; a fraction means the spend is not a whole micro-USD.
    spend_micros: usage.spendNanos / 1000,
    reserved_spend_micros: usage.reservedNanos / 1000,
    current_rpm: usage.requests,
    current_tpm: usage.tokens,
    current_parallel_requests: usage.parallel,
    spend_source: usage.source,
  };
}

function auditView(row: Row) {
  return {
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    created_by: row.created_by ?? null,
    updated_by: row.updated_by ?? null,
  };
}

function tagsOf(row: Row): string[] {
  const tags = (row.metadata as Record<string, unknown> | null)?.tags;
  return Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === 'string') : [];
}

export function keyView(row: Row, usage?: LiveUsage) {
  return {
    token: row.token,
    key_name: row.key_name,
    key_alias: row.key_alias ?? null,
    expires: iso(row.expires),
    aliases: row.aliases ?? {},
    permissions: row.permissions ?? {},
    allowed_cache_controls: row.allowed_cache_controls ?? [],
    key_type: row.key_type ?? null,
    allowed_routes: row.allowed_routes ?? [],
    enforced_params: row.enforced_params ?? [],
    tags: tagsOf(row),
    team_id: row.team_id ?? null,
    user_id: row.user_id ?? null,
    organization_id: row.organization_id ?? null,
    budget_id: row.budget_id ?? null,
    ...limitView(limitStateFromRow(row)),
    ...usageView(usage),
    ...auditView(row),
  };
}

export function teamView(row: Row, usage?: LiveUsage) {
  return {
    team_id: row.team_id,
    team_alias: row.team_alias ?? null,
    model_aliases: row.model_aliases ?? {},
    tags: tagsOf(row),
    organization_id: row.organization_id ?? null,
    ...limitView(limitStateFromRow(row)),
    ...usageView(usage),
    ...auditView(row),
  };
}

export function userView(row: Row, usage?: LiveUsage) {
  return {
    user_id: row.user_id,
    user_alias: row.user_alias ?? null,
    user_email: row.user_email ?? null,
    user_role: row.user_role,
    organization_id: row.organization_id ?? null,
    ...limitView(limitStateFromRow(row)),
    ...usageView(usage),
    ...auditView(row),
  };
}

export function organizationView(row: Row, usage?: LiveUsage) {
  return {
    organization_id: row.organization_id,
    organization_alias: row.organization_alias ?? null,
    budget_id: row.budget_id ?? null,
    ...limitView(limitStateFromRow(row)),
    ...usageView(usage),
    ...auditView(row),
  };
}
