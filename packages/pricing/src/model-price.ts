// A model's price, in femto-USD (1e-15 USD) per token, integers. Published prices are given per million
// tokens with at most a few decimals (the cheapest is a few cents per million), so every one of them is a
// whole number in this unit and tokens x price is exact integer arithmetic: no float ever touches a cost.

/** Femto-USD per token = USD per million tokens x 1e9 = USD per token x 1e15. */
export const FEMTO_PER_USD = 1_000_000_000_000_000;
/** The ledger's unit: nano-USD (1e-9 USD). */
export const NANOS_PER_USD = 1_000_000_000;
export const FEMTO_PER_NANO = 1_000_000;

export interface TokenRates {
  input: number;
  output: number;
  /** Cache reads; input when absent. */
  cacheRead?: number;
  /** Cache writes with the 5-minute lifetime; input when absent. */
  cacheWrite5m?: number;
  /** Cache writes with the 1-hour lifetime; the 5-minute write price when absent. */
  cacheWrite1h?: number;
  /** Reasoning output tokens; output when absent. */
  reasoning?: number;
}

/** Prices that apply to the whole request once its prompt is longer than `above` tokens. */
export interface PriceTier extends Partial<TokenRates> {
  above: number;
}

export interface ModelPrice extends TokenRates {
  /** Ascending by `above`. */
  tiers: PriceTier[];
  /** Where the price came from, recorded with every ledger row: e.g. `genai-prices@0.1.8`, `model_info`. */
  source: string;
}

/** USD per token (LiteLLM's unit) to femto-USD per token; rounding only removes float noise. */
export function femtoFromUsdPerToken(usdPerToken: number): number {
  return Math.round(usdPerToken * FEMTO_PER_USD);
}

/** USD per million tokens (genai-prices' unit) to femto-USD per token. */
export function femtoFromUsdPerMillion(usdPerMillion: number): number {
  return Math.round(usdPerMillion * 1_000_000_000);
}

/** The rates that apply to a prompt of `promptTokens`: the highest tier it exceeds, over the base. */
export function ratesFor(price: ModelPrice, promptTokens: number): TokenRates {
  let rates: TokenRates = price;
  for (const tier of price.tiers) {
    if (promptTokens > tier.above) rates = { ...price, ...definedRates(tier) };
  }
  return rates;
}

function definedRates(tier: PriceTier): Partial<TokenRates> {
  const rates: Partial<TokenRates> = {};
  for (const name of ['input', 'output', 'cacheRead', 'cacheWrite5m', 'cacheWrite1h', 'reasoning'] as const) {
    if (tier[name] !== undefined) rates[name] = tier[name];
  }
  return rates;
}

/** Femto-USD per token as micro-USD per token (the old Start.input_price_micros field). */
export function femtoToMicrosPerToken(femto: number): number {
  return femto / 1_000_000_000;
}
