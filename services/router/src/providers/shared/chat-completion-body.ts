import type { AdapterContext, TokenUsage } from '../provider-adapter.js';
import { openAiUsage } from './openai-chunk-writer.js';

export interface AssembledToolCall {
  id: string;
  name: string;
  argumentsJson: string;
}

export interface AssembledMessage {
  content: string | null;
  reasoning: string | undefined;
  toolCalls: AssembledToolCall[];
  finishReason: string;
  usage: TokenUsage | undefined;
}

/** A non-streaming OpenAI `chat.completion` body for adapters that translate another provider's answer. */
export function chatCompletionBody(context: AdapterContext, message: AssembledMessage): Buffer {
  const assistant: Record<string, unknown> = { role: 'assistant', content: message.content };
  if (message.reasoning) assistant.reasoning_content = message.reasoning;
  if (message.toolCalls.length > 0) {
    assistant.tool_calls = message.toolCalls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: call.argumentsJson },
    }));
  }
  const body: Record<string, unknown> = {
    id: `chatcmpl-${context.requestId}`,
    object: 'chat.completion',
    created: context.createdSeconds,
    model: context.deployment.model,
    choices: [{ index: 0, message: assistant, finish_reason: message.finishReason, logprobs: null }],
  };
  if (message.usage) body.usage = openAiUsage(message.usage);
  return Buffer.from(JSON.stringify(body));
}

/** An OpenAI embeddings list body. */
export function embeddingListBody(context: AdapterContext, vectors: number[][], usage: TokenUsage): Buffer {
  return Buffer.from(
    JSON.stringify({
      object: 'list',
      data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
      model: context.deployment.model,
      usage: { prompt_tokens: usage.promptTokens, total_tokens: usage.promptTokens },
    }),
  );
}
