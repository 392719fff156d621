import type { AdapterContext, DecodedEvent, StreamMapper, TokenUsage } from '../provider-adapter.js';
import { anthropicStreamError } from './anthropic-error.js';
import { type AnthropicUsage, mergeAnthropicUsage, readAnthropicUsage } from './anthropic-usage.js';
import { mapAnthropicFinishReason } from './map-anthropic-finish-reason.js';

interface CountedEvent {
  type?: string;
  message?: { id?: string; usage?: AnthropicUsage };
  delta?: { stop_reason?: string | null };
  usage?: AnthropicUsage;
}

/**
 * An Anthropic stream for a client that speaks Anthropic Messages: every event goes out as it came
 * (re-framed, since events arrive decoded), and only the few that carry usage, the stop reason or an
 * error are parsed. Content deltas are counted by their event name, never parsed.
 */
export function createAnthropicPassthroughStreamMapper(_context: AdapterContext): StreamMapper {
  const messageIds = new Set<string>();
  let usage: AnthropicUsage = {};
  let sawUsage = false;
  let stopReason: string | null | undefined;
  let done = false;
  let contentChunks = 0;
  return {
    framed: true,
    map(event: DecodedEvent): string[] {
      let type = event.event;
      if (type === undefined || type === 'message') type = (JSON.parse(event.data) as CountedEvent).type ?? 'message';
      switch (type) {
        case 'content_block_delta':
        case 'content_block_start':
          contentChunks += 1;
          break;
        case 'message_start': {
          const message = (JSON.parse(event.data) as CountedEvent).message;
          // A repeated message_start (seen in the wild) must not count its usage twice; it still goes
          // out, the client's SDK deals with it as Anthropic's own clients do.
          const id = message?.id ?? '';
          if (!messageIds.has(id)) {
            messageIds.add(id);
            if (message?.usage) {
              usage = mergeAnthropicUsage(usage, message.usage);
              sawUsage = true;
            }
          }
          break;
        }
        case 'message_delta': {
          const parsed = JSON.parse(event.data) as CountedEvent;
          if (parsed.delta?.stop_reason !== undefined) stopReason = parsed.delta.stop_reason;
          if (parsed.usage) {
            usage = mergeAnthropicUsage(usage, parsed.usage);
            sawUsage = true;
          }
          break;
        }
        case 'message_stop':
          done = true;
          break;
        case 'error':
          throw anthropicStreamError(event.data);
        default:
          break;
      }
      return [`event: ${type}\ndata: ${event.data}\n\n`];
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
