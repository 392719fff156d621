// LiteLLM accepts `model: gpt-4o` without a provider prefix and infers the provider from the name. This
// is the one table Sluice infers from, so the router, check-config and the start-up log agree.

export type ProviderSource = 'prefix' | 'model name' | 'api_base';

export interface ResolvedProvider {
  provider: string;
  /** The model as the provider knows it. */
  model: string;
  /** How the provider was found: the `<provider>/` prefix, the table below, or an api_base. */
  source: ProviderSource;
}

/** Unprefixed model-name patterns → provider, checked in order. */
export const MODEL_NAME_PROVIDERS: ReadonlyArray<{ pattern: RegExp; provider: string }> = [
  { pattern: /^(gpt-|chatgpt-|o1($|-)|o3($|-)|o4($|-)|text-embedding-|dall-e-|gpt-image-|whisper-|tts-|omni-moderation|text-moderation|davinci-|babbage-|codex-|computer-use-)/, provider: 'openai' },
  { pattern: /^claude-/, provider: 'anthropic' },
  { pattern: /^gemini-/, provider: 'gemini' },
];

/** An unprefixed name outside the table, with an api_base, is an OpenAI-compatible server. */
export const API_BASE_PROVIDER = 'openai_like';

/** The provider of `litellm_params`, or undefined when nothing tells it. */
export function inferProvider(model: string, apiBase: string | undefined): ResolvedProvider | undefined {
  const slash = model.indexOf('/');
  if (slash > 0) return { provider: model.slice(0, slash), model: model.slice(slash + 1), source: 'prefix' };
  for (const { pattern, provider } of MODEL_NAME_PROVIDERS) {
    if (pattern.test(model)) return { provider, model, source: 'model name' };
  }
  if (apiBase) return { provider: API_BASE_PROVIDER, model, source: 'api_base' };
  return undefined;
}
