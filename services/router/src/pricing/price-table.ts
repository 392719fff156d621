// Built-in list prices in USD per million tokens, from the providers' public price pages. A deployment's
// model_info / litellm_params input_cost_per_token and output_cost_per_token override these.
export interface Price {
  input: number;
  output: number;
  /** Price of prompt tokens served from the provider's prompt cache; defaults to `input`. */
  cachedInput?: number;
}

export const BUILT_IN_PRICES: Readonly<Record<string, Price>> = {
  'gpt-4o': { input: 2.5, output: 10, cachedInput: 1.25 },
  'gpt-4o-mini': { input: 0.15, output: 0.6, cachedInput: 0.075 },
  'gpt-4.1': { input: 2, output: 8, cachedInput: 0.5 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6, cachedInput: 0.1 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4, cachedInput: 0.025 },
  'gpt-3.5-turbo': { input: 0.5, output: 1.5 },
  'o3-mini': { input: 1.1, output: 4.4, cachedInput: 0.55 },
  'o4-mini': { input: 1.1, output: 4.4, cachedInput: 0.275 },
  'text-embedding-3-small': { input: 0.02, output: 0 },
  'text-embedding-3-large': { input: 0.13, output: 0 },
  'text-embedding-ada-002': { input: 0.1, output: 0 },
};

/** Exact match first, then the longest known name that prefixes the model (dated snapshots). */
export function builtInPrice(model: string): Price | undefined {
  if (Object.hasOwn(BUILT_IN_PRICES, model)) return BUILT_IN_PRICES[model];
  let best: string | undefined;
  for (const name of Object.keys(BUILT_IN_PRICES)) {
    if (model.startsWith(`${name}-`) && (best === undefined || name.length > best.length)) best = name;
  }
  return best === undefined ? undefined : BUILT_IN_PRICES[best];
}
