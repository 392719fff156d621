// A UsageBatch (proto/sluice/v1/usage.proto) framed and unframed by hand: the publisher already holds
// each event encoded, and consumers decode events one by one, so neither side decodes or re-encodes a
// whole batch. On the wire each event is field 1, length-delimited: tag byte 0x0a, a varint length,
// the event's bytes.

/** Header on a usage message that carries a UsageBatch; its value is the number of events. */
export const USAGE_BATCH_HEADER = 'Sluice-Usage-Batch';

const EVENTS_TAG = 0x0a;
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size += 1;
  }
  return size;
}

export function encodeUsageBatch(events: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const event of events) size += 1 + varintSize(event.length) + event.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const event of events) {
    out[at++] = EVENTS_TAG;
    let length = event.length;
    while (length >= 0x80) {
      out[at++] = (length & 0x7f) | 0x80;
      length = Math.floor(length / 0x80);
    }
    out[at++] = length;
    out.set(event, at);
    at += event.length;
  }
  return out;
}

/** The encoded events of a batch, as views into `data`. Throws on a truncated or malformed batch. */
export function splitUsageBatch(data: Uint8Array): Uint8Array[] {
  const events: Uint8Array[] = [];
  let at = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (let read = 0; read < 8; read += 1) {
      if (at >= data.length) throw new Error('usage batch truncated');
      const byte = data[at++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
    throw new Error('usage batch has an oversized varint');
  };
  while (at < data.length) {
    const tag = varint();
    const wireType = tag & 7;
    if (wireType === WIRE_LENGTH_DELIMITED) {
      const length = varint();
      if (at + length > data.length) throw new Error('usage batch truncated');
      // Field 1 is an event; any other field is one a newer publisher added, skipped as protobuf does.
      if (tag === EVENTS_TAG) events.push(data.subarray(at, at + length));
      at += length;
    } else if (wireType === WIRE_VARINT) {
      varint();
    } else if (wireType === WIRE_FIXED64 || wireType === WIRE_FIXED32) {
      at += wireType === WIRE_FIXED64 ? 8 : 4;
      if (at > data.length) throw new Error('usage batch truncated');
    } else {
      throw new Error(`usage batch has an unknown wire type ${wireType}`);
    }
  }
  return events;
}
