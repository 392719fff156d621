import type { TokenUsage } from '../provider-adapter.js';

export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  totalTokenCount?: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
  toolUsePromptTokenCount?: number;
}

/**
 * Gemini's usageMetadata → our counters. Thinking tokens are billed as output, so they count as
 * completion tokens (and as reasoning tokens); totalTokenCount is then prompt + completion. Streams
 * carry cumulative metadata on every chunk, so the last one wins. Undefined until a count appears.
 */
export function readGeminiUsage(metadata: GeminiUsageMetadata | undefined): TokenUsage | undefined {
  if (!metadata || (metadata.promptTokenCount === undefined && metadata.candidatesTokenCount === undefined)) return undefined;
  const thoughts = metadata.thoughtsTokenCount ?? 0;
  return {
    promptTokens: (metadata.promptTokenCount ?? 0) + (metadata.toolUsePromptTokenCount ?? 0),
    completionTokens: (metadata.candidatesTokenCount ?? 0) + thoughts,
    cachedTokens: metadata.cachedContentTokenCount ?? 0,
    reasoningTokens: thoughts,
  };
}
