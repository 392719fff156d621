import { femtoFromUsdPerToken, type ModelPrice, type PriceTier, type TokenRates } from './model-price.js';

// LiteLLM's names for per-token prices (model_info, litellm_params and model_prices_and_context_window.json
// entries), all in USD per token. `<field>_above_<N>k_tokens` is the price once the prompt passes N
// thousand tokens.
const FIELDS: Readonly<Record<string, keyof TokenRates>> = {
  input_cost_per_token: 'input',
  output_cost_per_token: 'output',
  cache_read_input_token_cost: 'cacheRead',
  cache_creation_input_token_cost: 'cacheWrite5m',
  cache_creation_input_token_cost_above_1hr: 'cacheWrite1h',
  output_cost_per_reasoning_token: 'reasoning',
};

const TIERED = /^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|cache_creation_input_token_cost)_above_(\d+)k_tokens$/;

/** The LiteLLM cost fields a config object or prices-file entry sets, in femto-USD per token. */
export interface CostFields {
  rates: Partial<TokenRates>;
  tiers: PriceTier[];
}

export function readCostFields(source: Record<string, unknown> | undefined): CostFields | undefined {
  if (!source) return undefined;
  const rates: Partial<TokenRates> = {};
  const tiers = new Map<number, PriceTier>();
  let any = false;
  for (const [name, value] of Object.entries(source)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) continue;
    const field = FIELDS[name];
    if (field) {
      rates[field] = femtoFromUsdPerToken(value);
      any = true;
      continue;
    }
    const tiered = TIERED.exec(name);
    if (tiered) {
      const above = Number(tiered[2]) * 1000;
      const tier = tiers.get(above) ?? { above };
      tier[FIELDS[tiered[1]!]!] = femtoFromUsdPerToken(value);
      tiers.set(above, tier);
      any = true;
    }
  }
  return any ? { rates, tiers: [...tiers.values()].sort((a, b) => a.above - b.above) } : undefined;
}

/**
 * `fields` over `base`, field by field: a configured price wins, what it does not name keeps the base's
 * (a deployment that only sets input_cost_per_token keeps the table's output price). Without a base the
 * missing input or output price is 0, as LiteLLM takes it.
 */
export function overlay(base: ModelPrice | undefined, fields: CostFields, source: string): ModelPrice {
  const tiers = new Map<number, PriceTier>((base?.tiers ?? []).map((tier) => [tier.above, { ...tier }]));
  for (const tier of fields.tiers) tiers.set(tier.above, { ...tiers.get(tier.above), ...tier });
  return {
    input: 0,
    output: 0,
    ...base,
    ...fields.rates,
    tiers: [...tiers.values()].sort((a, b) => a.above - b.above),
    source: base ? `${base.source}+${source}` : source,
  };
}
