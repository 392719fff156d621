import { GatewayError } from '@sluice/common';
import type { AdapterContext, DecodedEvent, StreamMapper, TokenUsage } from '../provider-adapter.js';
import { readOpenAiUsage } from './openai-usage.js';

interface OpenAiChunk {
  choices?: Array<{ finish_reason?: string | null }>;
  usage?: Parameters<typeof readOpenAiUsage>[0];
  error?: { message?: string };
}

/**
 * OpenAI-compatible streams are already in the client's format: every chunk is forwarded byte for byte.
 * A chunk is only parsed when it can carry something we need (usage, a finish reason, an error), which
 * keeps the per-chunk cost to a few substring checks. The usage-only chunk that we asked for on the
 * client's behalf is dropped when the client did not ask for it, and so is a chunk without choices or
 * usage (Azure's content-filter preamble).
 */
export function createOpenAiStreamMapper(context: AdapterContext): StreamMapper {
  let done = false;
  let usage: TokenUsage | undefined;
  let finishReason = '';
  let contentChunks = 0;

  return {
    map(event: DecodedEvent): string[] {
      const data = event.data;
      if (data === '[DONE]') {
        done = true;
        return [];
      }
      if (data.includes('"usage":{') || data.includes('"finish_reason":"') || data.includes('"choices":[]') || data.startsWith('{"error"')) {
        const chunk = JSON.parse(data) as OpenAiChunk;
        if (chunk.error) throw new GatewayError('upstream_stream_error', chunk.error.message ?? undefined);
        const choices = chunk.choices ?? [];
        for (const choice of choices) if (choice.finish_reason) finishReason = choice.finish_reason;
        const reported = readOpenAiUsage(chunk.usage);
        if (reported) {
          usage = reported;
          if (choices.length === 0 && !context.includeUsage) return [];
        } else if (choices.length === 0) {
          // Azure opens with a chunk that has no choices, an empty id and object, only its prompt
          // filter results; clients that index choices[0] or check `object` trip over it.
          return [];
        }
        if (choices.length > 0) contentChunks += 1;
        return [data];
      }
      contentChunks += 1;
      return [data];
    },
    finish: () => [],
    get done() {
      return done;
    },
    usage: () => usage,
    finishReason: () => finishReason,
    get contentChunks() {
      return contentChunks;
    },
  };
}
