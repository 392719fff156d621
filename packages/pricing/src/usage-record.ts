/**
 * What a finished request used, in the OpenAI convention every adapter normalises to: `promptTokens`
 * counts every prompt token, including the ones read from or written to the provider's prompt cache;
 * `completionTokens` counts every output token, including reasoning. Anthropic's usage maps to it as
 * prompt = input_tokens + cache_read_input_tokens + cache_creation_input_tokens.
 */
export interface UsageRecord {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens read from the prompt cache (OpenAI cached_tokens, Anthropic cache_read_input_tokens). */
  cachedTokens: number;
  /** Prompt tokens written to the cache with the 5-minute lifetime (Anthropic's default). */
  cacheWrite5mTokens?: number;
  /** Prompt tokens written to the cache with the 1-hour lifetime. */
  cacheWrite1hTokens?: number;
  /** Output tokens spent on reasoning (part of completionTokens). */
  reasoningTokens: number;
}
