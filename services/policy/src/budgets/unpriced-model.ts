import type { GroupPricing } from '@sluice/pricing';
import type { RequestScope } from '../limits/request-scopes.js';

// A model nothing prices would cost $0 against every budget, so a budget could never stop it. A caller
// with a budget (its key, user, team or organisation, or one of those for this model) is refused such a
// model unless general_settings.allow_unpriced_models says otherwise. A group is unpriced when any of its
// deployments is: the router may pick any of them.

/** The message of the refusal, or undefined when the request may go on. */
export function unpricedRefusal(modelGroup: string, pricing: GroupPricing | undefined, scopes: readonly RequestScope[]): string | undefined {
  if (!pricing || pricing.unpriced.length === 0) return undefined;
  if (!scopes.some((scope) => scope.budget >= 0)) return undefined;
  return (
    `Model '${modelGroup}' has no price (${pricing.unpriced.join(', ')}), so its cost cannot be counted against your budget. ` +
    'An admin can price it with model_info.input_cost_per_token and output_cost_per_token, or general_settings.prices_file.'
  );
}
