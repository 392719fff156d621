import type { GatewayConfig } from '@sluice/common';
import { createPriceBook, type GroupPricing, groupPricing, type PriceBook, pricedDeploymentOf } from '@sluice/pricing';

// The prices of every model group, for the holds budgets reserve: policy prices the config's deployments
// with the same price book the router uses (packages/pricing), so a hold and the cost that settles it
// come from one price. Built once at start-up.

type GroupDeployment = Parameters<typeof groupPricing>[0][number];

export function buildModelPricing(
  config: GatewayConfig,
  prices: PriceBook = createPriceBook({ pricesFile: config.general_settings?.prices_file }),
): Map<string, GroupPricing> {
  const deployments = new Map<string, GroupDeployment[]>();
  for (const entry of config.model_list) {
    const info = entry.model_info ?? {};
    const list = deployments.get(entry.model_name) ?? [];
    list.push({
      model: entry.litellm_params.model,
      price: prices.priceFor(pricedDeploymentOf(entry)),
      maxOutputTokens: info.max_output_tokens ?? info.max_tokens,
    });
    deployments.set(entry.model_name, list);
  }
  return new Map([...deployments].map(([group, list]) => [group, groupPricing(list)]));
}
