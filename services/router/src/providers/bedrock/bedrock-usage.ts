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
  const cacheWrite = usage.cacheWriteInputTokens ?? 0;
  return {
    promptTokens: (usage.inputTokens ?? 0) + cacheRead + cacheWrite,
    completionTokens: usage.outputTokens ?? 0,
    cachedTokens: cacheRead,
    reasoningTokens: 0,
    // Bedrock's cache points have the 5-minute lifetime.
    ...(cacheWrite > 0 ? { cacheWrite5mTokens: cacheWrite } : {}),
  };
}
