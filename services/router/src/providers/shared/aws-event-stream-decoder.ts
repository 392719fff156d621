import { createRequire } from 'node:module';
import type { EventStreamCodec, Message } from '@smithy/eventstream-codec';
import type { DecodedEvent } from '../provider-adapter.js';

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();
const toUtf8 = (bytes: Uint8Array) => utf8Decoder.decode(bytes);
const fromUtf8 = (text: string) => utf8Encoder.encode(text);

/** A codec for `application/vnd.amazon.eventstream` (prelude, headers, payload, two CRC32s). */
// Loaded on first use: only Bedrock deployments need the codec.
const require = createRequire(import.meta.url);

export function createEventStreamCodec(): EventStreamCodec {
  const { EventStreamCodec: Codec } = require('@smithy/eventstream-codec') as typeof import('@smithy/eventstream-codec');
  return new Codec(toUtf8, fromUtf8);
}

function header(message: Message, name: string): string | undefined {
  const value = message.headers[name];
  return value && value.type === 'string' ? value.value : undefined;
}

/**
 * Incremental decoding of AWS's binary event stream (Bedrock ConverseStream): feed raw bytes in pieces
 * of any size, get whole messages back, each checked against its CRCs by the codec. Every message starts
 * with its total length, so bytes are buffered until a whole message is there. An `event` message
 * becomes its `:event-type`; an `exception` or `error` message becomes `exception:<type>` so the mapper
 * can fail the stream with it.
 */
export function createAwsEventStreamDecoder(): { push(bytes: Uint8Array): DecodedEvent[]; end(): DecodedEvent[] } {
  const codec = createEventStreamCodec();
  let buffer: Uint8Array = new Uint8Array(0);
  const toEvent = (message: Message): DecodedEvent => {
    const kind = header(message, ':message-type') ?? 'event';
    const data = toUtf8(message.body);
    if (kind === 'event') return { event: header(message, ':event-type'), data };
    if (kind === 'exception') return { event: `exception:${header(message, ':exception-type') ?? 'unknown'}`, data };
    return {
      event: `exception:${header(message, ':error-code') ?? 'error'}`,
      data: JSON.stringify({ message: header(message, ':error-message') ?? '' }),
    };
  };
  return {
    push(bytes) {
      if (buffer.length === 0) buffer = bytes;
      else {
        const joined = new Uint8Array(buffer.length + bytes.length);
        joined.set(buffer, 0);
        joined.set(bytes, buffer.length);
        buffer = joined;
      }
      const events: DecodedEvent[] = [];
      while (buffer.length >= 4) {
        const total = new DataView(buffer.buffer, buffer.byteOffset, 4).getUint32(0, false);
        if (total < 16) throw new Error('event stream message shorter than its prelude');
        if (buffer.length < total) break;
        events.push(toEvent(codec.decode(buffer.subarray(0, total))));
        buffer = buffer.subarray(total);
      }
      return events;
    },
    end() {
      if (buffer.length > 0) throw new Error('event stream ended inside a message');
      return [];
    },
  };
}
