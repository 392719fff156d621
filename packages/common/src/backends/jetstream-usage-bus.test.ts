import { UsageEvent } from '@sluice/proto';
import { connect } from 'nats';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createLogger } from '../logger.js';
import { loadSettings } from '../settings.js';
import { connectJetStreamUsageBus } from './jetstream-usage-bus.js';
import type { UsageBus, UsageDelivery } from './usage-bus.js';

// Real NATS with JetStream: the events of one message are answered together. A nak of one redelivers
// all of them; once all are acked nothing comes back; a message published without the batch header
// (an older edge) is one event.
const url = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;
const settings = loadSettings({ NATS_URL: url, SLUICE_USAGE_STREAM: `BUS_TEST_${suffix}`, SLUICE_USAGE_SUBJECT: `bus.test.${suffix}`, SLUICE_USAGE_STORAGE: 'memory' });
let bus: UsageBus;

beforeAll(async () => {
  bus = await connectJetStreamUsageBus({ url, name: 'bus-test', usage: settings.usage, logger: createLogger({ service: 'test', level: 'silent' }) });
});

afterAll(async () => {
  await bus.close();
  const nc = await connect({ servers: url });
  await (await nc.jetstreamManager()).streams.delete(settings.usage.stream).catch(() => undefined);
  await nc.close();
});

const requestIds = (batch: readonly UsageDelivery[]) => batch.map((delivery) => UsageEvent.decode(delivery.data).requestId);

test('a nak of one event redelivers its whole message; acks of all end it', async () => {
  for (const requestId of ['a', 'b', 'c']) bus.publisher.publish(UsageEvent.fromPartial({ requestId }));
  expect(await bus.publisher.flush(5_000)).toBe(0);
  const nc = await connect({ servers: url });
  // The old wire format: one event per message, no batch header.
  await nc.jetstream().publish(settings.usage.subject, UsageEvent.encode(UsageEvent.fromPartial({ requestId: 'single' })).finish(), { msgID: 'single' });
  await nc.close();

  const seen: Array<{ ids: string[]; counts: number[] }> = [];
  let naked = false;
  const consumer = await bus.consume({
    durable: `test-${suffix}`,
    batchSize: 100,
    maxWaitMs: 20,
    async handle(batch) {
      seen.push({ ids: requestIds(batch), counts: batch.map((delivery) => delivery.deliveryCount) });
      for (const delivery of batch) {
        const id = UsageEvent.decode(delivery.data).requestId;
        if (id === 'b' && !naked) {
          naked = true;
          delivery.nak(10);
        } else {
          delivery.ack();
        }
      }
    },
  });
  const deadline = Date.now() + 10_000;
  while (seen.flatMap((entry) => entry.ids).length < 7 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  // Give a wrongly redelivered message time to show up.
  await new Promise((resolve) => setTimeout(resolve, 300));
  await consumer.stop();

  const all = seen.flatMap((entry) => entry.ids);
  expect(all.sort()).toEqual(['a', 'a', 'b', 'b', 'c', 'c', 'single']);
  const redelivered = seen.flatMap((entry) => entry.ids.map((id, index) => ({ id, count: entry.counts[index]! }))).filter((entry) => entry.count > 1);
  expect(redelivered.map((entry) => entry.id).sort()).toEqual(['a', 'b', 'c']);
  const lag = await bus.lag!(`test-${suffix}`);
  expect(lag).toEqual({ pending: 0, ackPending: 0, redelivered: 0 });
});
