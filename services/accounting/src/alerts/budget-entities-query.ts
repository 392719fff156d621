import type { SqlClient } from '@sluice/common';

// The budgeted keys, teams, users and organisations a committed batch touched, with their spend in the
// current budget period: the same total policy rebuilds its counters from (spend_logs since
// budget_period_start, over every hash a key has had), so an alert and the limit it warns about agree.
// It is read from spend_daily for every UTC day from the period's first one on, less the spend_logs rows
// of that first day from before the period started (spend_daily always equals the sum over spend_logs).
// Those rows are a set fixed once the period has begun, so the query costs the same however much the
// entity spends: summing the first day's rows since the start instead re-read every new request, once per
// batch (about 10 ms a batch within a minute of a busy key's first day). Only entities with a budget are read.

export type EntityType = 'key' | 'team' | 'user' | 'organization';

export interface BudgetedEntity {
  entity_type: EntityType;
  entity_id: string;
  alias: string | null;
  /** The key's current hash (keys only): LiteLLM's webhook `token`. */
  token: string | null;
  team_id: string | null;
  user_id: string | null;
  organization_id: string | null;
  max_budget_micros: string | null;
  soft_budget_micros: string | null;
  budget_period_start: Date;
  budget_reset_at: Date | null;
  spent_micros: string;
}

const BUDGETED = '(max_budget_micros IS NOT NULL OR soft_budget_micros IS NOT NULL)';

/** Spend since `start` of the rows whose `column` matches `match` (e.g. "= t.team_id"). */
function periodSpend(column: string, match: string, start: string): string {
  const firstDay = `(${start} AT TIME ZONE 'UTC')::date`;
  return `((SELECT COALESCE(sum(d.spend_micros), 0) FROM spend_daily d WHERE d.${column} ${match} AND d.day >= ${firstDay})
    - (SELECT COALESCE(sum(s.cost_micros), 0) FROM spend_logs s WHERE s.${column} ${match}
       AND s.start_time >= (${firstDay}::timestamp AT TIME ZONE 'UTC') AND s.start_time < ${start}))::text AS spent_micros`;
}

export const BUDGETED_ENTITY_QUERIES: Readonly<Record<EntityType, string>> = {
  key: `
SELECT 'key' AS entity_type, k.key_id AS entity_id, k.key_alias AS alias, k.token, k.team_id, k.user_id, k.organization_id,
  k.max_budget_micros, k.soft_budget_micros, k.budget_period_start, k.budget_reset_at,
  ${periodSpend('key_hash', '= ANY(k.retired_tokens || k.token)', 'k.budget_period_start')}
FROM api_keys k WHERE k.token = ANY($1) AND ${BUDGETED}`,
  team: `
SELECT 'team' AS entity_type, t.team_id AS entity_id, t.team_alias AS alias, NULL AS token, t.team_id, NULL AS user_id, t.organization_id,
  t.max_budget_micros, t.soft_budget_micros, t.budget_period_start, t.budget_reset_at,
  ${periodSpend('team_id', '= t.team_id', 't.budget_period_start')}
FROM teams t WHERE t.team_id = ANY($1) AND ${BUDGETED}`,
  user: `
SELECT 'user' AS entity_type, u.user_id AS entity_id, u.user_alias AS alias, NULL AS token, NULL AS team_id, u.user_id, u.organization_id,
  u.max_budget_micros, u.soft_budget_micros, u.budget_period_start, u.budget_reset_at,
  ${periodSpend('user_id', '= u.user_id', 'u.budget_period_start')}
FROM users u WHERE u.user_id = ANY($1) AND ${BUDGETED}`,
  organization: `
SELECT 'organization' AS entity_type, o.organization_id AS entity_id, o.organization_alias AS alias, NULL AS token, NULL AS team_id,
  NULL AS user_id, o.organization_id, o.max_budget_micros, o.soft_budget_micros, o.budget_period_start, o.budget_reset_at,
  ${periodSpend('organization_id', '= o.organization_id', 'o.budget_period_start')}
FROM organizations o WHERE o.organization_id = ANY($1) AND ${BUDGETED}`,
};

/** The ids a batch touched, by entity type (keys by hash, as the ledger has them). */
export interface TouchedEntities {
  key: Set<string>;
  team: Set<string>;
  user: Set<string>;
  organization: Set<string>;
}

export function emptyTouched(): TouchedEntities {
  return { key: new Set(), team: new Set(), user: new Set(), organization: new Set() };
}

export async function budgetedEntities(sql: SqlClient, touched: TouchedEntities): Promise<BudgetedEntity[]> {
  const found: BudgetedEntity[] = [];
  for (const type of Object.keys(BUDGETED_ENTITY_QUERIES) as EntityType[]) {
    const ids = [...touched[type]];
    if (ids.length === 0) continue;
    const result = await sql.query<BudgetedEntity>(BUDGETED_ENTITY_QUERIES[type], [ids]);
    found.push(...result.rows);
  }
  return found;
}
