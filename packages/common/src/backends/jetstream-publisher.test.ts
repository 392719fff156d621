import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createJetStreamPublisher } from './jetstream-publisher.js';

// Real NATS with JetStream: the publisher must report success only for what the stream stored, dedupe
// on the message id, and fail (not hang) when nothing stores the subject.
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

test('acknowledged events are stored once, duplicates included', async () => {
  const send = createJetStreamPublisher(nc, subject, 5_000);
  const data = new TextEncoder().encode('event');
  await Promise.all(Array.from({ length: 200 }, (_, index) => send({ id: `id-${index % 150}`, data, headers: { traceparent: 'x' } })));
  const info = await (await nc.jetstreamManager()).streams.info(stream);
  expect(info.state.messages).toBe(150);
  const stored = await (await nc.jetstreamManager()).streams.getMessage(stream, { seq: 1 });
  expect(stored.header.get('Nats-Msg-Id')).toBe('id-0');
  expect(stored.header.get('traceparent')).toBe('x');
  send.close();
});

test('a subject no stream stores is a failure, not a hang', async () => {
  const send = createJetStreamPublisher(nc, `nowhere.${suffix}`, 5_000);
  await expect(send({ id: 'x', data: new Uint8Array(1), headers: {} })).rejects.toThrow(/jetstream publish failed/);
  send.close();
});
