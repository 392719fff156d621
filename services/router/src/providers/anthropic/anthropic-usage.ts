import type { TokenUsage } from '../provider-adapter.js';

export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  /** The cache writes by lifetime, when the request asked for a 1-hour cache. */
  cache_creation?: { ephemeral_5m_input_tokens?: number | null; ephemeral_1h_input_tokens?: number | null } | null;
  output_tokens_details?: { thinking_tokens?: number | null } | null;
}

/**
 * Anthropic counts cache reads and cache writes apart from input_tokens; OpenAI's prompt_tokens includes
 * them all (cached_tokens being the reads). Later values replace earlier ones: message_delta's usage is
 * cumulative, and a field it omits keeps the value message_start gave.
 */
export function mergeAnthropicUsage(current: AnthropicUsage, update: AnthropicUsage | null | undefined): AnthropicUsage {
  if (!update) return current;
  const merged = { ...current };
  for (const key of ['input_tokens', 'output_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens'] as const) {
    const value = update[key];
    if (typeof value === 'number') merged[key] = value;
  }
  if (update.output_tokens_details) merged.output_tokens_details = update.output_tokens_details;
  if (update.cache_creation) merged.cache_creation = update.cache_creation;
  return merged;
}

export function readAnthropicUsage(usage: AnthropicUsage): TokenUsage {
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  // Without the breakdown every write has the default 5-minute lifetime.
  const write1h = Math.min(usage.cache_creation?.ephemeral_1h_input_tokens ?? 0, cacheWrite);
  const counted: TokenUsage = {
    promptTokens: (usage.input_tokens ?? 0) + cacheRead + cacheWrite,
    completionTokens: usage.output_tokens ?? 0,
    cachedTokens: cacheRead,
    reasoningTokens: usage.output_tokens_details?.thinking_tokens ?? 0,
    ...(cacheWrite > 0 ? { cacheWrite5mTokens: cacheWrite - write1h, cacheWrite1hTokens: write1h } : {}),
  };
  // Cache writes are priced apart from plain input (at 1.25x or 2x), so they travel apart.
  if (cacheWrite > 0) counted.cacheCreationTokens = cacheWrite;
  return counted;
}
