import type { BudgetedEntity } from './budget-entities-query.js';
import type { ThresholdName } from './budget-thresholds.js';

// What a budget alert says. The webhook body follows LiteLLM's budget webhook event (spend, max_budget,
// token, user_id, team_id, key_alias, event, event_group, event_message, in USD), so receivers written
// for LiteLLM keep working; Slack gets the same facts as one line of text. No key itself, ever: `token`
// is the key's hash, as LiteLLM sends it.

/** 'log': the accounting log and the sluice_budget_thresholds_total metric, always on. */
export type AlertChannel = 'slack' | 'webhook' | 'log';

const usd = (micros: number): number => micros / 1_000_000;
const dollars = (micros: number): string => `$${usd(micros).toFixed(micros % 10_000 === 0 ? 2 : 6)}`;

function describeEntity(entity: BudgetedEntity): string {
  const name = entity.alias ? `${entity.alias} (${entity.entity_id})` : entity.entity_id;
  return `${entity.entity_type} ${name}`;
}

export interface BudgetAlert {
  threshold: ThresholdName;
  entity: BudgetedEntity;
}

/** The webhook event (LiteLLM's field names, plus threshold and the budget period). */
export function webhookEvent({ threshold, entity }: BudgetAlert): Record<string, unknown> {
  const spent = Number(entity.spent_micros);
  const max = entity.max_budget_micros === null ? null : Number(entity.max_budget_micros);
  const soft = entity.soft_budget_micros === null ? null : Number(entity.soft_budget_micros);
  const crossed = threshold === 'soft' ? 'its soft budget' : `${threshold} of its budget`;
  const limit = threshold === 'soft' ? soft! : max!;
  return {
    event: threshold === 'soft' || threshold === '50%' || threshold === '80%' ? 'threshold_crossed' : 'budget_crossed',
    event_group: entity.entity_type,
    event_message: `Budget alert: ${describeEntity(entity)} reached ${crossed}: spent ${dollars(spent)} of ${dollars(limit)}`,
    threshold,
    spend: usd(spent),
    max_budget: max === null ? null : usd(max),
    soft_budget: soft === null ? null : usd(soft),
    token: entity.token,
    key_alias: entity.entity_type === 'key' ? entity.alias : null,
    user_id: entity.user_id,
    team_id: entity.team_id,
    team_alias: entity.entity_type === 'team' ? entity.alias : null,
    organization_id: entity.organization_id,
    entity_id: entity.entity_id,
    budget_period_start: entity.budget_period_start.toISOString(),
    budget_reset_at: entity.budget_reset_at?.toISOString() ?? null,
  };
}

/** The body a channel receives for an alert whose webhook event is `event`. */
export function channelBody(channel: AlertChannel, event: Record<string, unknown>): Record<string, unknown> {
  if (channel === 'slack') return { text: String(event.event_message) };
  return event;
}
