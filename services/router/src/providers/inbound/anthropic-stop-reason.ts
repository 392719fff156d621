/** OpenAI's finish_reason → Anthropic's stop_reason, for answers translated back to Messages. */
export function anthropicStopReason(finishReason: string | null | undefined): string {
  switch (finishReason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

/** Anthropic's usage object for our counters: input_tokens counts neither cache reads nor cache writes. */
export function anthropicUsageOf(usage: { promptTokens: number; completionTokens: number; cachedTokens: number; cacheCreationTokens?: number } | undefined) {
  if (!usage) return { input_tokens: 0, output_tokens: 0 };
  const written = usage.cacheCreationTokens ?? 0;
  return {
    input_tokens: Math.max(0, usage.promptTokens - usage.cachedTokens - written),
    output_tokens: usage.completionTokens,
    cache_creation_input_tokens: written,
    cache_read_input_tokens: usage.cachedTokens,
  };
}
