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
  'gpt-5': { input: 1.25, output: 10, cachedInput: 0.125 },
  'gpt-5-mini': { input: 0.25, output: 2, cachedInput: 0.025 },
  'gpt-5-nano': { input: 0.05, output: 0.4, cachedInput: 0.005 },
  o3: { input: 2, output: 8, cachedInput: 0.5 },
  o1: { input: 15, output: 60, cachedInput: 7.5 },
  'gpt-3.5-turbo-instruct': { input: 1.5, output: 2 },
  // Anthropic (cache reads at a tenth of the input price); the same on Bedrock and Vertex AI.
  'claude-opus-4-5': { input: 5, output: 25, cachedInput: 0.5 },
  'claude-opus-4-1': { input: 15, output: 75, cachedInput: 1.5 },
  'claude-opus-4': { input: 15, output: 75, cachedInput: 1.5 },
  'claude-sonnet-4-5': { input: 3, output: 15, cachedInput: 0.3 },
  'claude-sonnet-4': { input: 3, output: 15, cachedInput: 0.3 },
  'claude-3-7-sonnet': { input: 3, output: 15, cachedInput: 0.3 },
  'claude-3-5-sonnet': { input: 3, output: 15, cachedInput: 0.3 },
  'claude-haiku-4-5': { input: 1, output: 5, cachedInput: 0.1 },
  'claude-3-5-haiku': { input: 0.8, output: 4, cachedInput: 0.08 },
  'claude-3-haiku': { input: 0.25, output: 1.25, cachedInput: 0.03 },
  'claude-3-opus': { input: 15, output: 75, cachedInput: 1.5 },
  // Gemini (prompts up to 200k tokens for the Pro models).
  'gemini-2.5-pro': { input: 1.25, output: 10 },
  'gemini-2.5-flash': { input: 0.3, output: 2.5 },
  'gemini-2.5-flash-lite': { input: 0.1, output: 0.4 },
  'gemini-2.0-flash': { input: 0.1, output: 0.4 },
  'gemini-2.0-flash-lite': { input: 0.075, output: 0.3 },
  'gemini-1.5-pro': { input: 1.25, output: 5 },
  'gemini-1.5-flash': { input: 0.075, output: 0.3 },
  'gemini-embedding-001': { input: 0.15, output: 0 },
  // Amazon models on Bedrock.
  'nova-pro': { input: 0.8, output: 3.2 },
  'nova-lite': { input: 0.06, output: 0.24 },
  'nova-micro': { input: 0.035, output: 0.14 },
  'titan-embed-text-v2': { input: 0.02, output: 0 },
  'cohere.embed-english-v3': { input: 0.1, output: 0 },
  'cohere.embed-multilingual-v3': { input: 0.1, output: 0 },
};

/**
 * Bedrock model ids carry a cross-region prefix, a vendor and a version (`us.anthropic.claude-3-5-sonnet-
 * 20240620-v1:0`); the table knows the model by its plain name.
 */
function plainModelNames(model: string): string[] {
  const unprefixed = model.replace(/^(us|eu|apac|global|us-gov)\./, '').replace(/^(anthropic|amazon|meta|mistral)\./, '');
  const unrevised = unprefixed.replace(/:\d+$/, '');
  return [unprefixed, unrevised, unrevised.replace(/-v\d+$/, '')];
}

/** Exact match first, then the longest known name that prefixes the model (dated snapshots). */
export function builtInPrice(requested: string): Price | undefined {
  if (Object.hasOwn(BUILT_IN_PRICES, requested)) return BUILT_IN_PRICES[requested];
  const names = plainModelNames(requested);
  for (const name of names) if (Object.hasOwn(BUILT_IN_PRICES, name)) return BUILT_IN_PRICES[name];
  const model = names.at(-1)!;
  let best: string | undefined;
  for (const name of Object.keys(BUILT_IN_PRICES)) {
    if (model.startsWith(`${name}-`) && (best === undefined || name.length > best.length)) best = name;
  }
  return best === undefined ? undefined : BUILT_IN_PRICES[best];
}
