import type { ProviderAdapter } from './provider-adapter.js';
import { createOpenAiCompatibleProvider } from './openai-compatible/create-openai-compatible-provider.js';

export interface ProviderEntry {
  adapter: ProviderAdapter;
  /** Used when the deployment sets no api_base; undefined means api_base is required. */
  defaultApiBase: string | undefined;
}

const openAiCompatible = createOpenAiCompatibleProvider();

// litellm_params.model prefix → adapter. OpenAI-compatible providers differ only in their base URL.
const PROVIDERS: Record<string, ProviderEntry> = {
  openai: { adapter: openAiCompatible, defaultApiBase: 'https://api.openai.com/v1' },
  custom_openai: { adapter: openAiCompatible, defaultApiBase: undefined },
  openai_like: { adapter: openAiCompatible, defaultApiBase: undefined },
  hosted_vllm: { adapter: openAiCompatible, defaultApiBase: undefined },
  groq: { adapter: openAiCompatible, defaultApiBase: 'https://api.groq.com/openai/v1' },
  together_ai: { adapter: openAiCompatible, defaultApiBase: 'https://api.together.xyz/v1' },
  deepseek: { adapter: openAiCompatible, defaultApiBase: 'https://api.deepseek.com/v1' },
  mistral: { adapter: openAiCompatible, defaultApiBase: 'https://api.mistral.ai/v1' },
  openrouter: { adapter: openAiCompatible, defaultApiBase: 'https://openrouter.ai/api/v1' },
  fireworks_ai: { adapter: openAiCompatible, defaultApiBase: 'https://api.fireworks.ai/inference/v1' },
  xai: { adapter: openAiCompatible, defaultApiBase: 'https://api.x.ai/v1' },
  perplexity: { adapter: openAiCompatible, defaultApiBase: 'https://api.perplexity.ai' },
};

export function providerFor(prefix: string): ProviderEntry | undefined {
  return Object.hasOwn(PROVIDERS, prefix) ? PROVIDERS[prefix] : undefined;
}

export function supportedProviders(): string[] {
  return Object.keys(PROVIDERS).sort();
}
