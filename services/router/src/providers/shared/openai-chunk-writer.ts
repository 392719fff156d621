import type { AdapterContext, TokenUsage } from '../provider-adapter.js';

/** The OpenAI usage object for our counters. */
export function openAiUsage(usage: TokenUsage): Record<string, unknown> {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens },
  };
}

export interface ChunkWriter {
  /** The first chunk of a stream: the assistant role with empty content. */
  role(): string;
  text(content: string): string;
  /** Thinking / reasoning text, as `delta.reasoning_content` (the field LiteLLM and DeepSeek use). */
  reasoning(content: string): string;
  /** A tool call's first delta: its index, id and name (and arguments when they come whole). */
  toolCallStart(index: number, id: string, name: string, argumentsJson?: string): string;
  toolCallArguments(index: number, argumentsJson: string): string;
  finish(reason: string): string;
  /** The usage-only chunk sent after the finish chunk when the client asked for usage. */
  usage(usage: TokenUsage): string;
}

/**
 * Writes OpenAI `chat.completion.chunk` payloads for adapters that translate another provider's stream.
 * The envelope (id, created, model) is serialized once per stream; each chunk only serializes its delta.
 */
export function createChunkWriter(context: AdapterContext): ChunkWriter {
  const head =
    `{"id":${JSON.stringify(`chatcmpl-${context.requestId}`)},"object":"chat.completion.chunk",` +
    `"created":${context.createdSeconds},"model":${JSON.stringify(context.deployment.model)},"choices":`;
  const delta = (value: unknown) => `${head}[{"index":0,"delta":${JSON.stringify(value)},"finish_reason":null}]}`;
  return {
    role: () => `${head}[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
    text: (content) => delta({ content }),
    reasoning: (content) => delta({ reasoning_content: content }),
    toolCallStart: (index, id, name, argumentsJson = '') =>
      delta({ tool_calls: [{ index, id, type: 'function', function: { name, arguments: argumentsJson } }] }),
    toolCallArguments: (index, argumentsJson) => delta({ tool_calls: [{ index, function: { arguments: argumentsJson } }] }),
    finish: (reason) => `${head}[{"index":0,"delta":{},"finish_reason":${JSON.stringify(reason)}}]}`,
    usage: (usage) => `${head}[],"usage":${JSON.stringify(openAiUsage(usage))}}`,
  };
}
