import type { AdapterContext, DecodedEvent, StreamMapper, TokenUsage } from '../provider-adapter.js';
import { createChunkWriter } from '../shared/openai-chunk-writer.js';
import { anthropicStreamError } from './anthropic-error.js';
import { type AnthropicUsage, mergeAnthropicUsage, readAnthropicUsage } from './anthropic-usage.js';
import { mapAnthropicFinishReason } from './map-anthropic-finish-reason.js';

interface AnthropicEvent {
  type: string;
  index?: number;
  message?: { id?: string; usage?: AnthropicUsage };
  content_block?: { type: string; id?: string; name?: string; text?: string; thinking?: string };
  delta?: { type?: string; text?: string; partial_json?: string; thinking?: string; stop_reason?: string | null };
  usage?: AnthropicUsage;
}

interface OpenBlock {
  kind: 'text' | 'thinking' | 'tool' | 'other';
  /** OpenAI tool_calls index, for tool blocks. */
  toolIndex: number;
  argumentsSent: boolean;
}

/**
 * Anthropic Messages SSE → OpenAI chunks. Tool calls get consecutive OpenAI indexes in the order their
 * blocks start, so indexes and ids stay stable however the stream is cut. A repeated message_start (seen
 * in the wild) is ignored; a message_start with a new id continues the same OpenAI message. `ping` is
 * dropped, and an `error` event, which can come after HTTP 200, fails the stream.
 */
export function createAnthropicStreamMapper(context: AdapterContext): StreamMapper {
  const writer = createChunkWriter(context);
  const messageIds = new Set<string>();
  let blocks = new Map<number, OpenBlock>();
  let usage: AnthropicUsage = {};
  let sawUsage = false;
  let nextToolIndex = 0;
  let stopReason: string | null | undefined;
  let started = false;
  let done = false;
  let contentChunks = 0;

  const content = (payload: string): string => {
    contentChunks += 1;
    return payload;
  };

  return {
    map(event: DecodedEvent): string[] {
      if (event.event === 'ping') return [];
      const message = JSON.parse(event.data) as AnthropicEvent;
      switch (message.type) {
        case 'message_start': {
          const id = message.message?.id ?? '';
          if (messageIds.has(id)) return [];
          messageIds.add(id);
          blocks = new Map();
          if (message.message?.usage) {
            usage = mergeAnthropicUsage(usage, message.message.usage);
            sawUsage = true;
          }
          if (started) return [];
          started = true;
          return [writer.role()];
        }
        case 'content_block_start': {
          const block = message.content_block;
          const index = message.index ?? 0;
          // server_tool_use (web search and the like) runs at Anthropic: not a call for the client to make.
          if (block?.type === 'tool_use') {
            const open: OpenBlock = { kind: 'tool', toolIndex: nextToolIndex, argumentsSent: false };
            nextToolIndex += 1;
            blocks.set(index, open);
            return [content(writer.toolCallStart(open.toolIndex, block.id ?? `toolu_${open.toolIndex}`, block.name ?? ''))];
          }
          const kind = block?.type === 'text' ? 'text' : block?.type === 'thinking' ? 'thinking' : 'other';
          blocks.set(index, { kind, toolIndex: -1, argumentsSent: false });
          if (kind === 'text' && block?.text) return [content(writer.text(block.text))];
          if (kind === 'thinking' && block?.thinking) return [content(writer.reasoning(block.thinking))];
          return [];
        }
        case 'content_block_delta': {
          const block = blocks.get(message.index ?? 0);
          const delta = message.delta;
          if (!block || !delta) return [];
          if (delta.type === 'text_delta' && delta.text) return [content(writer.text(delta.text))];
          if (delta.type === 'thinking_delta' && delta.thinking) return [content(writer.reasoning(delta.thinking))];
          if (delta.type === 'input_json_delta' && block.kind === 'tool' && delta.partial_json) {
            block.argumentsSent = true;
            return [content(writer.toolCallArguments(block.toolIndex, delta.partial_json))];
          }
          return [];
        }
        case 'content_block_stop': {
          const block = blocks.get(message.index ?? 0);
          // A tool without arguments streams none; OpenAI clients expect a JSON object to parse.
          if (block?.kind === 'tool' && !block.argumentsSent) {
            block.argumentsSent = true;
            return [content(writer.toolCallArguments(block.toolIndex, '{}'))];
          }
          return [];
        }
        case 'message_delta':
          if (message.delta?.stop_reason !== undefined) stopReason = message.delta.stop_reason;
          if (message.usage) {
            usage = mergeAnthropicUsage(usage, message.usage);
            sawUsage = true;
          }
          return [];
        case 'message_stop': {
          done = true;
          const out = [writer.finish(mapAnthropicFinishReason(stopReason))];
          if (context.includeUsage && sawUsage) out.push(writer.usage(readAnthropicUsage(usage)));
          return out;
        }
        case 'error':
          throw anthropicStreamError(event.data);
        case 'ping':
          return [];
        default:
          // Event types added after this was written carry nothing we translate.
          return [];
      }
    },
    finish: () => [],
    get done() {
      return done;
    },
    usage: (): TokenUsage | undefined => (sawUsage ? readAnthropicUsage(usage) : undefined),
    finishReason: () => (stopReason === undefined ? '' : mapAnthropicFinishReason(stopReason)),
    get contentChunks() {
      return contentChunks;
    },
  };
}
