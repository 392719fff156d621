import type { Deployment, TokenUsage } from '../providers/provider-adapter.js';
import { builtInPrice, type Price } from './price-table.js';

const PER_MILLION = 1_000_000;

/** The price that applies to a deployment: its configured per-token costs, else the built-in table. */
export function priceFor(deployment: Deployment): Price | undefined {
  const input = deployment.info.input_cost_per_token ?? deployment.params.input_cost_per_token;
  const output = deployment.info.output_cost_per_token ?? deployment.params.output_cost_per_token;
  if (input !== undefined || output !== undefined) {
    return { input: (input ?? 0) * PER_MILLION, output: (output ?? 0) * PER_MILLION };
  }
  return builtInPrice(deployment.info.base_model ?? deployment.model);
}

/**
 * Cost in integer micro-USD. A price in USD per million tokens is exactly micro-USD per token, so the
 * only rounding is the final one.
 */
export function costMicros(usage: TokenUsage, price: Price | undefined): number {
  if (!price) return 0;
  const cached = Math.min(usage.cachedTokens, usage.promptTokens);
  const uncached = usage.promptTokens - cached;
  return Math.round(
    uncached * price.input + cached * (price.cachedInput ?? price.input) + usage.completionTokens * price.output,
  );
}
