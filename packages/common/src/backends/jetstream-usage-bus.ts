import { createRequire } from 'node:module';
import type { JsMsg, NatsConnection } from 'nats';
import type { UsageStreamSettings } from '../settings.js';
import type { Logger } from '../logger.js';
import { redactUrl } from '../redact-url.js';
import { createJetStreamPublisher } from './jetstream-publisher.js';
import { createRetryingPublisher } from './retrying-publisher.js';
import { splitUsageBatch, USAGE_BATCH_HEADER } from './usage-batch.js';
import type { ConsumeOptions, UsageBus, UsageConsumer, UsageDelivery } from './usage-bus.js';

// Loaded on first use: a service without a usage bus (the router) never carries the client.
const require = createRequire(import.meta.url);
const loadNats = () => require('nats') as typeof import('nats');

const NANOS_PER_MS = 1_000_000;
const PUBLISH_TIMEOUT_MS = 5_000;

export interface JetStreamOptions {
  url: string;
  name: string;
  usage: UsageStreamSettings;
  logger: Logger;
}

/** Creates the stream when it is missing. An existing stream is left as the operator configured it. */
async function ensureStream(nc: NatsConnection, usage: UsageStreamSettings, logger: Logger): Promise<void> {
  const jsm = await nc.jetstreamManager();
  try {
    await jsm.streams.info(usage.stream);
    return;
  } catch {
    // Not found: create it below.
  }
  try {
    await jsm.streams.add({
      name: usage.stream,
      subjects: [usage.subject],
      retention: loadNats().RetentionPolicy.Limits,
      storage: usage.storage === 'memory' ? loadNats().StorageType.Memory : loadNats().StorageType.File,
      num_replicas: usage.replicas,
      duplicate_window: usage.duplicateWindowMs * NANOS_PER_MS,
      max_age: usage.maxAgeMs * NANOS_PER_MS,
      ...(usage.maxBytes > 0 ? { max_bytes: usage.maxBytes } : {}),
    });
    logger.info({ stream: usage.stream, subject: usage.subject }, 'created usage stream');
  } catch (error) {
    // Another replica created it first.
    await jsm.streams.info(usage.stream).catch(() => {
      throw error;
    });
  }
}

const MAX_ACK_PENDING = 20_000;
/** Pull budget per event a consumer wants in hand: an event with recording off is well under this. */
const PULL_BYTES_PER_EVENT = 2_048;

/**
 * Creates the durable consumer when it is missing, and brings the settings we own (ack wait, max
 * deliver) in line when they changed, so a new value takes effect on the next start. Several replicas
 * may do this at once; the last writer wins with the same values.
 */
async function ensureConsumer(nc: NatsConnection, usage: UsageStreamSettings, durable: string, maxDeliver: number): Promise<void> {
  const jsm = await nc.jetstreamManager();
  const wanted = { ack_wait: usage.ackWaitMs * NANOS_PER_MS, max_deliver: maxDeliver, max_ack_pending: MAX_ACK_PENDING };
  let existing;
  try {
    existing = await jsm.consumers.info(usage.stream, durable);
  } catch {
    // Not found: create it below.
  }
  if (existing) {
    const config = existing.config;
    if (config.ack_wait !== wanted.ack_wait || config.max_deliver !== wanted.max_deliver || config.max_ack_pending !== wanted.max_ack_pending) {
      await jsm.consumers.update(usage.stream, durable, wanted);
    }
    return;
  }
  try {
    await jsm.consumers.add(usage.stream, {
      durable_name: durable,
      ack_policy: loadNats().AckPolicy.Explicit,
      deliver_policy: loadNats().DeliverPolicy.All,
      filter_subject: usage.subject,
      ...wanted,
    });
  } catch (error) {
    // Another replica created it first.
    await jsm.consumers.info(usage.stream, durable).catch(() => {
      throw error;
    });
  }
}

/**
 * The events a message carries, one delivery each. The message gets one answer once every event has
 * one: a nak of any redelivers all of them (the others are idempotent on their request id), otherwise
 * an ack, or a term when every event was parked elsewhere.
 */
function toDeliveries(message: JsMsg): UsageDelivery[] {
  const headers: Record<string, string> = {};
  if (message.headers) {
    for (const [key, values] of message.headers) headers[key] = values[0] ?? '';
  }
  const deliveryCount = message.info.redeliveryCount;
  let parts: Uint8Array[] = [message.data];
  if (headers[USAGE_BATCH_HEADER] !== undefined) {
    try {
      parts = splitUsageBatch(message.data);
    } catch {
      // Handed over whole: the consumer cannot decode it and parks it like any unreadable event.
    }
  }
  let unanswered = parts.length;
  let acked = false;
  let nakDelayMs: number | undefined;
  let naked = false;
  const answer = () => {
    unanswered -= 1;
    if (unanswered > 0) return;
    if (naked) message.nak(nakDelayMs);
    else if (acked) message.ack();
    else message.term();
  };
  return parts.map((data) => {
    let answered = false;
    const answerOnce = (record?: () => void) => {
      if (answered) return;
      answered = true;
      record?.();
      answer();
    };
    return {
      data,
      headers,
      deliveryCount,
      ack: () =>
        answerOnce(() => {
          acked = true;
        }),
      nak: (delayMs?: number) =>
        answerOnce(() => {
          // The message comes back after the shortest delay any of its events asked for (none: at once).
          nakDelayMs = naked ? Math.min(nakDelayMs ?? 0, delayMs ?? 0) : delayMs;
          naked = true;
        }),
      term: () => answerOnce(),
    };
  });
}

export async function connectJetStreamUsageBus(options: JetStreamOptions): Promise<UsageBus> {
  const { usage, logger } = options;
  const nc = await loadNats().connect({
    servers: options.url,
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  });
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect' || status.type === 'error') {
        logger.warn({ nats: status.type, data: redactUrl(String(status.data)) }, 'nats connection status');
      }
    }
  })();
  await ensureStream(nc, usage, logger);
  const js = nc.jetstream();

  const send = createJetStreamPublisher(nc, usage.subject, PUBLISH_TIMEOUT_MS);
  const publisher = createRetryingPublisher(send, logger);

  async function consume(consumeOptions: ConsumeOptions): Promise<UsageConsumer> {
    await ensureConsumer(nc, usage, consumeOptions.durable, consumeOptions.maxDeliver ?? usage.maxDeliver);
    const consumer = await js.consumers.get(usage.stream, consumeOptions.durable);
    let stopped = false;
    let current: { stop(): void } | undefined;

    // Up to `concurrency` batches are handled at once (one by default, in order); while they are, the
    // next fills up, and pulling pauses once that one is full too.
    const concurrency = Math.max(1, consumeOptions.concurrency ?? 1);
    let active = 0;
    const waiting: Array<() => void> = [];
    const acquire = () =>
      active < concurrency ? ((active += 1), Promise.resolve()) : new Promise<void>((resolve) => waiting.push(resolve));
    const release = () => {
      const next = waiting.shift();
      if (next) next();
      else active -= 1;
    };
    const inflight = new Set<Promise<void>>();
    /** The batches being handled, to nak if a shutdown cannot wait for them. */
    const handling = new Set<UsageDelivery[]>();
    let batch: UsageDelivery[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      clearTimeout(timer);
      timer = undefined;
      if (batch.length === 0) return;
      const taken = batch;
      batch = [];
      handling.add(taken);
      const work = acquire().then(async () => {
        try {
          await consumeOptions.handle(taken);
        } catch (error) {
          consumeOptions.onError?.(error);
          for (const delivery of taken) delivery.nak(1_000);
        } finally {
          handling.delete(taken);
          release();
        }
      });
      inflight.add(work);
      void work.finally(() => inflight.delete(work));
    };

    const loop = (async () => {
      while (!stopped) {
        try {
          // Pulls are bounded in bytes, since a message holds anything from one event to a full batch;
          // never below a few of the largest messages the server accepts, or one could not be pulled.
          const maxBytes = Math.max(4 * nc.info!.max_payload, consumeOptions.batchSize * (concurrency + 1) * PULL_BYTES_PER_EVENT);
          const messages = await consumer.consume({ max_bytes: maxBytes, expires: 5_000 });
          current = messages;
          for await (const message of messages) {
            // A message's events stay in one batch, which may so run a little over batchSize.
            for (const delivery of toDeliveries(message)) batch.push(delivery);
            if (batch.length >= consumeOptions.batchSize) {
              flush();
              while (inflight.size >= concurrency) await Promise.race(inflight);
            } else {
              timer ??= setTimeout(flush, consumeOptions.maxWaitMs);
            }
          }
        } catch (error) {
          if (stopped) break;
          consumeOptions.onError?.(error);
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      }
    })();

    return {
      async stop(timeoutMs) {
        stopped = true;
        current?.stop();
        await loop;
        flush();
        if (timeoutMs === undefined) {
          await Promise.all(inflight);
          return;
        }
        let timer: NodeJS.Timeout | undefined;
        const finished = await Promise.race([
          Promise.all(inflight).then(() => true),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), timeoutMs);
          }),
        ]);
        clearTimeout(timer);
        if (finished) return;
        // A message acked meanwhile ignores the nak (the client sends one acknowledgement per message);
        // one committed just after is inserted once anyway (the ledger is idempotent on the request id).
        for (const deliveries of handling) for (const delivery of deliveries) delivery.nak();
      },
    };
  }

  return {
    kind: 'jetstream',
    publisher,
    consume,
    async lag(durable) {
      const info = await (await nc.jetstreamManager()).consumers.info(usage.stream, durable);
      return { pending: info.num_pending, ackPending: info.num_ack_pending, redelivered: info.num_redelivered };
    },
    async close() {
      send.close();
      await nc.drain().catch(() => undefined);
    },
  };
}
