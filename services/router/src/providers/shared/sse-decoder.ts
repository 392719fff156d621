import { createParser } from 'eventsource-parser';
import type { DecodedEvent } from '../provider-adapter.js';

/**
 * Incremental SSE decoding: feed raw bytes as they arrive, in pieces of any size (a multi-byte
 * character split across reads included), get whole events back.
 */
export function createSseDecoder(): { push(bytes: Uint8Array): DecodedEvent[]; end(): DecodedEvent[] } {
  const text = new TextDecoder('utf-8');
  let out: DecodedEvent[] = [];
  const parser = createParser({
    onEvent(message) {
      out.push({ event: message.event, data: message.data });
    },
  });
  const take = () => {
    const events = out;
    out = [];
    return events;
  };
  return {
    push(bytes) {
      parser.feed(text.decode(bytes, { stream: true }));
      return take();
    },
    end() {
      const rest = text.decode();
      if (rest) parser.feed(rest);
      // A last event without the blank line that should end it still counts.
      parser.reset({ consume: true });
      return take();
    },
  };
}
