import { UsageBatch, UsageEvent } from '@sluice/proto';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createJetStreamPublisher } from './jetstream-publisher.js';
import { USAGE_BATCH_HEADER } from './usage-batch.js';

// Real NATS with JetStream: the publisher must report success only for what the stream stored, store a
// batch once under its id however often it is resent, and fail (not hang) when nothing stores the subject.
const url = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;
const stream = `PUBLISHER_TEST_${suffix}`;
const subject = `publisher.test.${suffix}`;
let nc: NatsConnection;

beforeAll(async () => {
  nc = await connect({ servers: url });
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: stream, subjects: [subject], storage: 'memory' as never, duplicate_window: 60_000_000_000 });
});

afterAll(async () => {
  const jsm = await nc.jetstreamManager();
  await jsm.streams.delete(stream).catch(() => undefined);
  await nc.close();
});

const event = (requestId: string) => ({ id: requestId, data: UsageEvent.encode(UsageEvent.fromPartial({ requestId, costMicros: 7 })).finish() });

test('a batch is stored once under its id, resends included, as a UsageBatch', async () => {
  const send = createJetStreamPublisher(nc, subject, 5_000);
  const batches = Array.from({ length: 30 }, (_, index) => {
    const events = [event(`r-${index}-a`), event(`r-${index}-b`), event(`r-${index}-c`)];
    return { id: `batch-${index}`, events, bytes: 0 };
  });
  // Every batch twice, as a retry after a lost PubAck would send it.
  await Promise.all([...batches, ...batches].map((batch) => send(batch)));
  const jsm = await nc.jetstreamManager();
  expect((await jsm.streams.info(stream)).state.messages).toBe(30);
  const stored = await jsm.streams.getMessage(stream, { seq: 1 });
  expect(stored.header.get('Nats-Msg-Id')).toBe('batch-0');
  expect(stored.header.get(USAGE_BATCH_HEADER)).toBe('3');
  expect(UsageBatch.decode(stored.data).events.map((decoded) => decoded.requestId)).toEqual(['r-0-a', 'r-0-b', 'r-0-c']);
  send.close();
});

test('a subject no stream stores is a failure, not a hang', async () => {
  const send = createJetStreamPublisher(nc, `nowhere.${suffix}`, 5_000);
  await expect(send({ id: 'x', events: [event('x')], bytes: 0 })).rejects.toThrow(/jetstream publish failed/);
  send.close();
});
