import { GatewayError } from '@sluice/common';
import type { AdapterContext, DecodedEvent, StreamMapper, TokenUsage } from '../provider-adapter.js';
import { upstreamFailure } from '../shared/upstream-failure.js';
import { readResponsesUsage, responsesFinishReason, type ResponsesUsage } from './openai-usage.js';

interface TerminalEvent {
  type?: string;
  response?: { status?: string; usage?: ResponsesUsage; incomplete_details?: { reason?: string } | null };
  error?: { code?: string | null; type?: string; message?: string };
  code?: string | null;
  message?: string;
}

// The events that end a Responses stream and carry its usage.
const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/**
 * A Responses stream from OpenAI or Azure for a Responses client: every event goes out as it came
 * (reasoning items, encrypted content and built-in tool events included). Only the terminal events are
 * parsed, for usage; an `error` event fails the stream with its class.
 */
export function createOpenAiResponsesStreamMapper(_context: AdapterContext): StreamMapper {
  let usage: TokenUsage | undefined;
  let finishReason = '';
  let done = false;
  let contentChunks = 0;
  return {
    framed: true,
    map(event: DecodedEvent): string[] {
      let type = event.event;
      // Without an event name the type is the data's first field, as OpenAI writes it.
      if (type === undefined || type === 'message') type = /^\{\s*"type"\s*:\s*"([^"]+)"/.exec(event.data)?.[1] ?? 'message';
      if (type === 'error') {
        const parsed = JSON.parse(event.data) as TerminalEvent;
        const code = parsed.error?.code ?? parsed.code ?? parsed.error?.type ?? '';
        // The status OpenAI gives the same error as an HTTP answer.
        const status = code === 'rate_limit_exceeded' || code === 'insufficient_quota' ? 429 : code === 'invalid_request_error' ? 400 : 500;
        const failure = upstreamFailure(status, code, parsed.error?.message ?? parsed.message, {});
        throw new GatewayError(failure.code, failure.message);
      }
      if (TERMINAL.has(type)) {
        done = true;
        let response: TerminalEvent['response'];
        try {
          response = (JSON.parse(event.data) as TerminalEvent).response;
        } catch {
          // The client gets the event as it came; without its usage the gateway counts the tokens.
          response = undefined;
        }
        usage = readResponsesUsage(response?.usage) ?? usage;
        finishReason = responsesFinishReason(response?.status ?? (type === 'response.completed' ? 'completed' : undefined), response?.incomplete_details?.reason);
      } else if (type.endsWith('.delta')) {
        contentChunks += 1;
      }
      return [`event: ${type}\ndata: ${event.data}\n\n`];
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
