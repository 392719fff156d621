// The event-stream codec test vectors (../shared/fixtures/aws-eventstream), and incremental decoding.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_DIR, splitBytes } from '@sluice/testing';
import { describe, expect, test } from 'vitest';
import { createAwsEventStreamDecoder, createEventStreamCodec } from './aws-event-stream-decoder.js';

const VECTORS = join(FIXTURES_DIR, 'aws-eventstream', 'test_vectors');
const TYPE_NAMES = ['boolean', 'boolean', 'byte', 'short', 'integer', 'long', 'binary', 'string', 'timestamp', 'uuid'];

interface DecodedVector {
  headers: Array<{ name: string; type: number; value: unknown }>;
  payload: string;
}

/** A header value from the codec, in the vector's JSON form. */
function normalize(type: string, value: unknown): unknown {
  if (type === 'binary') return Buffer.from(value as Uint8Array).toString('base64');
  if (type === 'string') return Buffer.from(value as string).toString('base64');
  if (type === 'timestamp') return (value as Date).getTime();
  if (type === 'long') return Number((value as { valueOf(): number }).valueOf());
  if (type === 'uuid') return Buffer.from((value as string).replace(/-/g, ''), 'hex').toString('base64');
  return value;
}

describe('AWS event stream', () => {
  const positive = readdirSync(join(VECTORS, 'encoded', 'positive'));
  const negative = readdirSync(join(VECTORS, 'encoded', 'negative'));

  test.each(positive)('decodes %s as the vector says, whole and byte by byte', (name) => {
    const bytes = readFileSync(join(VECTORS, 'encoded', 'positive', name));
    const expected = JSON.parse(readFileSync(join(VECTORS, 'decoded', 'positive', name), 'utf8')) as DecodedVector;
    const message = createEventStreamCodec().decode(bytes);
    expect(Buffer.from(message.body).toString('base64')).toBe(expected.payload);
    expect(
      Object.entries(message.headers).map(([headerName, header]) => ({ name: headerName, type: header.type, value: normalize(header.type, header.value) })),
    ).toEqual(expected.headers.map((header) => ({ name: header.name, type: TYPE_NAMES[header.type], value: header.value })));

    for (const size of [undefined, 7, 1]) {
      const decoder = createAwsEventStreamDecoder();
      const events = (size === undefined ? [bytes] : splitBytes(bytes, size)).flatMap((piece) => decoder.push(piece));
      expect(events).toHaveLength(1);
      expect(Buffer.from(events[0]!.data).toString('base64')).toBe(expected.payload);
      expect(decoder.end()).toEqual([]);
    }
  });

  test.each(negative)('refuses %s', (name) => {
    const bytes = readFileSync(join(VECTORS, 'encoded', 'negative', name));
    const reason = readFileSync(join(VECTORS, 'decoded', 'negative', name), 'utf8').trim();
    const decoder = createAwsEventStreamDecoder();
    expect(reason.length).toBeGreaterThan(0);
    expect(() => {
      decoder.push(bytes);
      decoder.end();
    }).toThrow();
  });

  test('messages split anywhere come out whole and in order; exceptions are flagged', () => {
    const codec = createEventStreamCodec();
    const frame = (headers: Record<string, string>, body: string) =>
      codec.encode({
        headers: Object.fromEntries(Object.entries(headers).map(([key, value]) => [key, { type: 'string' as const, value }])),
        body: Buffer.from(body),
      });
    const bytes = Buffer.concat([
      frame({ ':message-type': 'event', ':event-type': 'contentBlockDelta' }, '{"delta":{"text":"héllo"}}'),
      frame({ ':message-type': 'event', ':event-type': 'messageStop' }, '{"stopReason":"end_turn"}'),
      frame({ ':message-type': 'exception', ':exception-type': 'throttlingException' }, '{"message":"slow down"}'),
    ]);
    for (const size of [1, 3, 7, 64]) {
      const decoder = createAwsEventStreamDecoder();
      const events = splitBytes(bytes, size).flatMap((piece) => decoder.push(piece));
      expect(events).toEqual([
        { event: 'contentBlockDelta', data: '{"delta":{"text":"héllo"}}' },
        { event: 'messageStop', data: '{"stopReason":"end_turn"}' },
        { event: 'exception:throttlingException', data: '{"message":"slow down"}' },
      ]);
    }
    const cut = createAwsEventStreamDecoder();
    cut.push(bytes.subarray(0, 10));
    expect(() => cut.end()).toThrow(/inside a message/);
  });
});
