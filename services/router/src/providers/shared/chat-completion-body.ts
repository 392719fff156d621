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

/** A vector as OpenAI's `encoding_format: "base64"` sends it: little-endian float32s, base64-encoded. */
export function base64Embedding(vector: number[]): string {
  const floats = new Float32Array(vector);
  return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString('base64');
}

/**
 * An OpenAI embeddings list body. The official clients ask for base64 unless told otherwise (and decode
 * it themselves), so vectors are encoded when the request says so.
 */
export function embeddingListBody(context: AdapterContext, vectors: number[][], usage: TokenUsage): Buffer {
  const base64 = context.body.encoding_format === 'base64';
  return Buffer.from(
    JSON.stringify({
      object: 'list',
      data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding: base64 ? base64Embedding(embedding) : embedding })),
      model: context.deployment.model,
      usage: { prompt_tokens: usage.promptTokens, total_tokens: usage.promptTokens },
    }),
  );
}
