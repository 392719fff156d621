import type { TokenUsage } from '../provider-adapter.js';

export interface BedrockUsage {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

/** Bedrock, like Anthropic, counts cache reads and writes apart from inputTokens. */
export function readBedrockUsage(usage: BedrockUsage | undefined): TokenUsage | undefined {
  if (!usage) return undefined;
  const cacheRead = usage.cacheReadInputTokens ?? 0;
  return {
    promptTokens: (usage.inputTokens ?? 0) + cacheRead + (usage.cacheWriteInputTokens ?? 0),
    completionTokens: usage.outputTokens ?? 0,
    cachedTokens: cacheRead,
    reasoningTokens: 0,
  };
}
