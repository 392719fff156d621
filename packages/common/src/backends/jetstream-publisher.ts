import { createRequire } from 'node:module';
import type { Msg, NatsConnection } from 'nats';
import type { OutgoingEvent, SendEvent } from './retrying-publisher.js';

interface Waiting {
  resolve(): void;
  reject(error: Error): void;
  sentAt: number;
}

const require = createRequire(import.meta.url);
const decoder = new TextDecoder();

// Events are handed to the connection in bursts: the client writes what it holds at the end of the
// current tick, so events finishing in separate ticks cost a socket write each. Holding them this long
// gathers them into one write; usage is not on the client's critical path.
const GATHER_MS = 5;

/**
 * Publishes to a JetStream stream and waits for its acknowledgement, the way the client library's
 * js.publish does on the wire (a publish with a reply subject; the stream answers with a PubAck), but
 * with one wildcard reply subscription shared by every publish and one timer for all of them. The
 * library builds a request object, two Error objects and a timer per publish, which made publishing
 * the most expensive thing the edge did per request after gRPC (about 49 µs against 9 µs here).
 */
export function createJetStreamPublisher(nc: NatsConnection, subject: string, timeoutMs: number): SendEvent & { close(): void } {
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

  let gathered: Array<{ token: string; event: OutgoingEvent }> = [];
  let gatherTimer: NodeJS.Timeout | undefined;
  const publishGathered = () => {
    gatherTimer = undefined;
    const batch = gathered;
    gathered = [];
    for (const { token, event } of batch) {
      const header = natsHeaders();
      header.set('Nats-Msg-Id', event.id);
      for (const [key, value] of Object.entries(event.headers)) header.set(key, value);
      try {
        nc.publish(subject, event.data, { reply: `${prefix}.${token}`, headers: header });
      } catch (error) {
        const entry = waiting.get(token);
        waiting.delete(token);
        entry?.reject(error as Error);
      }
    }
  };

  const send = (event: OutgoingEvent) =>
    new Promise<void>((resolve, reject) => {
      const token = String(sequence++);
      waiting.set(token, { resolve, reject, sentAt: Date.now() });
      gathered.push({ token, event });
      gatherTimer ??= setTimeout(publishGathered, GATHER_MS);
    });

  return Object.assign(send, {
    close() {
      clearInterval(sweeper);
      clearTimeout(gatherTimer);
      subscription.unsubscribe();
      for (const entry of waiting.values()) entry.reject(new Error('publisher closed'));
      waiting.clear();
    },
  });
}
