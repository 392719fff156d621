import { createRequire } from 'node:module';
import type { Msg, NatsConnection } from 'nats';
import type { OutgoingBatch, SendBatch } from './retrying-publisher.js';
import { encodeUsageBatch, USAGE_BATCH_HEADER } from './usage-batch.js';

interface Waiting {
  resolve(): void;
  reject(error: Error): void;
  sentAt: number;
}

const require = createRequire(import.meta.url);
const decoder = new TextDecoder();

/**
 * Publishes a batch of usage events as one message to a JetStream stream and waits for its
 * acknowledgement, the way the client library's js.publish does on the wire (a publish with a reply
 * subject; the stream answers with a PubAck), but with one wildcard reply subscription shared by every
 * publish and one timer for all of them. The library builds a request object, two Error objects and a
 * timer per publish (about 49 µs against 9 µs here).
 */
export function createJetStreamPublisher(nc: NatsConnection, subject: string, timeoutMs: number): SendBatch & { close(): void } {
  const { createInbox, headers: natsHeaders } = require('nats') as typeof import('nats');
  const prefix = createInbox();
  const waiting = new Map<string, Waiting>();
  let sequence = 0;

  const settle = (message: Msg) => {
    const token = message.subject.slice(prefix.length + 1);
    const entry = waiting.get(token);
    if (!entry) return;
    waiting.delete(token);
    // No stream listens on the subject: the server answers with a 503 status instead of a PubAck.
    if (message.headers && message.headers.code >= 400) {
      entry.reject(new Error(`jetstream publish failed: ${message.headers.code} ${message.headers.description}`));
      return;
    }
    const text = decoder.decode(message.data);
    if (text.includes('"error"')) entry.reject(new Error(`jetstream publish failed: ${text}`));
    else entry.resolve();
  };
  const subscription = nc.subscribe(`${prefix}.*`, { callback: (error, message) => !error && settle(message) });

  const sweeper = setInterval(() => {
    const expired = Date.now() - timeoutMs;
    for (const [token, entry] of waiting) {
      if (entry.sentAt > expired) continue;
      waiting.delete(token);
      entry.reject(new Error('jetstream publish timed out'));
    }
  }, 1_000);
  sweeper.unref();

  const send = (batch: OutgoingBatch) =>
    new Promise<void>((resolve, reject) => {
      const token = String(sequence++);
      const header = natsHeaders();
      header.set('Nats-Msg-Id', batch.id);
      header.set(USAGE_BATCH_HEADER, String(batch.events.length));
      waiting.set(token, { resolve, reject, sentAt: Date.now() });
      try {
        nc.publish(subject, encodeUsageBatch(batch.events.map((event) => event.data)), { reply: `${prefix}.${token}`, headers: header });
      } catch (error) {
        waiting.delete(token);
        reject(error as Error);
      }
    });

  return Object.assign(send, {
    close() {
      clearInterval(sweeper);
      subscription.unsubscribe();
      for (const entry of waiting.values()) entry.reject(new Error('publisher closed'));
      waiting.clear();
    },
  });
}
