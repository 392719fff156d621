import { UsageBatch, UsageEvent } from '@sluice/proto';
import { expect, test } from 'vitest';
import { encodeUsageBatch, splitUsageBatch } from './usage-batch.js';

// The hand-made framing must be exactly protobuf's UsageBatch, both ways, at every varint length.
const events = [
  UsageEvent.fromPartial({ requestId: 'small', costMicros: 1 }),
  UsageEvent.fromPartial({ requestId: 'medium', messagesJson: 'm'.repeat(300) }),
  UsageEvent.fromPartial({ requestId: 'large', responseJson: 'r'.repeat(70_000) }),
  UsageEvent.fromPartial({}),
];
const encoded = events.map((event) => UsageEvent.encode(event).finish());

test('a batch framed by hand decodes as a UsageBatch', () => {
  const batch = encodeUsageBatch(encoded);
  expect(UsageBatch.decode(batch).events.map((event) => event.requestId)).toEqual(['small', 'medium', 'large', '']);
  expect(Buffer.from(batch)).toEqual(Buffer.from(UsageBatch.encode({ events }).finish()));
});

test('a UsageBatch splits into its events, byte for byte', () => {
  const parts = splitUsageBatch(UsageBatch.encode({ events }).finish());
  expect(parts.map((part) => Buffer.from(part))).toEqual(encoded.map((bytes) => Buffer.from(bytes)));
  expect(splitUsageBatch(new Uint8Array(0))).toEqual([]);
});

test('fields a newer publisher adds are skipped; a cut batch is an error', () => {
  const batch = encodeUsageBatch(encoded.slice(0, 2));
  // Field 2 varint (0x10 0x96 0x01), field 3 length-delimited "xy", field 4 fixed32, field 5 fixed64.
  const extra = Uint8Array.from([0x10, 0x96, 0x01, 0x1a, 0x02, 0x78, 0x79, 0x25, 1, 2, 3, 4, 0x29, 1, 2, 3, 4, 5, 6, 7, 8]);
  const withExtra = new Uint8Array(batch.length + extra.length);
  withExtra.set(extra);
  withExtra.set(batch, extra.length);
  expect(splitUsageBatch(withExtra).map((part) => UsageEvent.decode(part).requestId)).toEqual(['small', 'medium']);
  expect(() => splitUsageBatch(batch.subarray(0, batch.length - 1))).toThrow(/truncated/);
  expect(() => splitUsageBatch(Uint8Array.from([0x0b]))).toThrow(/wire type/);
});
