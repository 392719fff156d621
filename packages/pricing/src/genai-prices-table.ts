import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { calcPrice, type ModelPrice as GenaiModelPrice, TieredPrices } from '@pydantic/genai-prices';
import { femtoFromUsdPerMillion, type ModelPrice, type PriceTier, type TokenRates } from './model-price.js';

// The built-in table: Pydantic's genai-prices database, a maintained, versioned price list for every
// major provider (input, output, cache reads, 5-minute and 1-hour cache writes, reasoning, prices above
// a prompt size), bundled in its npm package and pinned to one version in package.json. The prices are
// data loaded at start-up; nothing is fetched at run time.

function installedVersion(): string {
  const require = createRequire(import.meta.url);
  let directory = dirname(require.resolve('@pydantic/genai-prices'));
  for (let depth = 0; depth < 4; depth += 1) {
    try {
      const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === '@pydantic/genai-prices' && manifest.version) return manifest.version;
    } catch {
      // not here; look one folder up
    }
    directory = dirname(directory);
  }
  return 'unknown';
}

export const GENAI_PRICES_SOURCE = `genai-prices@${installedVersion()}`;

/** Sluice's provider names (the litellm_params.model prefix) → genai-prices provider ids, tried in order. */
const PROVIDER_IDS: Readonly<Record<string, readonly string[]>> = {
  openai: ['openai'],
  'text-completion-openai': ['openai'],
  azure: ['azure', 'openai'],
  anthropic: ['anthropic'],
  bedrock: ['aws'],
  gemini: ['google'],
  vertex_ai: ['google', 'anthropic'],
  groq: ['groq'],
  together_ai: ['together'],
  deepseek: ['deepseek'],
  mistral: ['mistral'],
  openrouter: ['openrouter'],
  fireworks_ai: ['fireworks'],
  xai: ['x-ai'],
  perplexity: ['perplexity'],
  cerebras: ['cerebras'],
  cohere: ['cohere'],
};

/** Vertex AI names partner models `claude-sonnet-4-5@20250929`; the table knows `claude-sonnet-4-5-20250929`. */
function normalisedModel(provider: string, model: string): string {
  return provider === 'vertex_ai' ? model.replace('@', '-') : model;
}

const RATE_FIELDS: ReadonlyArray<[string, keyof TokenRates]> = [
  ['input_mtok', 'input'],
  ['output_mtok', 'output'],
  ['cache_read_mtok', 'cacheRead'],
  ['cache_write_mtok', 'cacheWrite5m'],
  ['cache_write_1h_mtok', 'cacheWrite1h'],
  ['output_reasoning_mtok', 'reasoning'],
];

function toModelPrice(prices: GenaiModelPrice): ModelPrice | undefined {
  const base: Partial<TokenRates> = {};
  const tiers = new Map<number, PriceTier>();
  for (const [field, rate] of RATE_FIELDS) {
    const value = prices[field];
    if (typeof value === 'number') base[rate] = femtoFromUsdPerMillion(value);
    else if (value instanceof TieredPrices || (value && typeof value === 'object' && 'base' in value)) {
      const tiered = value as TieredPrices;
      base[rate] = femtoFromUsdPerMillion(tiered.base);
      for (const tier of tiered.tiers) {
        // genai-prices' tier starts at a prompt of `start` tokens; LiteLLM's _above_200k_tokens is the same
        // boundary, counted as "more than 200,000".
        const above = tier.start;
        const entry = tiers.get(above) ?? { above };
        entry[rate] = femtoFromUsdPerMillion(tier.price);
        tiers.set(above, entry);
      }
    }
  }
  if (base.input === undefined && base.output === undefined) return undefined;
  return {
    input: base.input ?? 0,
    output: base.output ?? 0,
    ...base,
    tiers: [...tiers.values()].sort((a, b) => a.above - b.above),
    source: GENAI_PRICES_SOURCE,
  } as ModelPrice;
}

const NO_USAGE = { input_tokens: 0, output_tokens: 0 };

/** The table's price for a provider's model, when it knows it (dated snapshots and Bedrock ids included). */
export function tablePrice(provider: string, model: string, now: Date = new Date()): ModelPrice | undefined {
  const providerIds = PROVIDER_IDS[provider];
  if (!providerIds) return undefined;
  const name = normalisedModel(provider, model);
  for (const providerId of providerIds) {
    const found = calcPrice(NO_USAGE, name, { providerId, timestamp: now });
    if (found) {
      const price = toModelPrice(found.model_price);
      if (price) return price;
    }
  }
  return undefined;
}
