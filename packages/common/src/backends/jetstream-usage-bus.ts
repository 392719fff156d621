import {
  AckPolicy,
  connect,
  DeliverPolicy,
  headers as natsHeaders,
  type JsMsg,
  type NatsConnection,
  RetentionPolicy,
  StorageType,
} from 'nats';
import type { UsageStreamSettings } from '../settings.js';
import type { Logger } from '../logger.js';
import { createRetryingPublisher } from './retrying-publisher.js';
import type { ConsumeOptions, UsageBus, UsageConsumer, UsageDelivery } from './usage-bus.js';

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
      retention: RetentionPolicy.Limits,
      storage: usage.storage === 'memory' ? StorageType.Memory : StorageType.File,
      num_replicas: usage.replicas,
      duplicate_window: usage.duplicateWindowMs * NANOS_PER_MS,
      max_age: usage.maxAgeMs * NANOS_PER_MS,
    });
    logger.info({ stream: usage.stream, subject: usage.subject }, 'created usage stream');
  } catch (error) {
    // Another replica created it first.
    await jsm.streams.info(usage.stream).catch(() => {
      throw error;
    });
  }
}

async function ensureConsumer(nc: NatsConnection, usage: UsageStreamSettings, durable: string, maxDeliver = usage.maxDeliver): Promise<void> {
  const jsm = await nc.jetstreamManager();
  try {
    await jsm.consumers.info(usage.stream, durable);
    return;
  } catch {
    // Not found: create it below.
  }
  await jsm.consumers.add(usage.stream, {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: usage.subject,
    ack_wait: usage.ackWaitMs * NANOS_PER_MS,
    max_deliver: maxDeliver,
    max_ack_pending: 20_000,
  });
}

function toDelivery(message: JsMsg): UsageDelivery {
  const headers: Record<string, string> = {};
  if (message.headers) {
    for (const [key, values] of message.headers) headers[key] = values[0] ?? '';
  }
  return {
    data: message.data,
    headers,
    deliveryCount: message.info.redeliveryCount,
    ack: () => message.ack(),
    nak: (delayMs) => message.nak(delayMs),
    term: () => message.term(),
  };
}

export async function connectJetStreamUsageBus(options: JetStreamOptions): Promise<UsageBus> {
  const { usage, logger } = options;
  const nc = await connect({
    servers: options.url,
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  });
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect' || status.type === 'error') {
        logger.warn({ nats: status.type, data: String(status.data) }, 'nats connection status');
      }
    }
  })();
  await ensureStream(nc, usage, logger);
  const js = nc.jetstream();

  const publisher = createRetryingPublisher(async (event) => {
    const header = natsHeaders();
    for (const [key, value] of Object.entries(event.headers)) header.set(key, value);
    await js.publish(usage.subject, event.data, { msgID: event.id, timeout: PUBLISH_TIMEOUT_MS, headers: header });
  }, logger);

  async function consume(consumeOptions: ConsumeOptions): Promise<UsageConsumer> {
    await ensureConsumer(nc, usage, consumeOptions.durable, consumeOptions.maxDeliver);
    const consumer = await js.consumers.get(usage.stream, consumeOptions.durable);
    let stopped = false;
    let current: { stop(): void } | undefined;

    // Batches are handed over one at a time, in order; while one is being handled the next fills up.
    let batch: JsMsg[] = [];
    let timer: NodeJS.Timeout | undefined;
    let chain = Promise.resolve();
    const flush = () => {
      clearTimeout(timer);
      timer = undefined;
      if (batch.length === 0) return chain;
      const taken = batch;
      batch = [];
      chain = chain.then(async () => {
        try {
          await consumeOptions.handle(taken.map(toDelivery));
        } catch (error) {
          consumeOptions.onError?.(error);
          for (const message of taken) message.nak(1_000);
        }
      });
      return chain;
    };

    const loop = (async () => {
      while (!stopped) {
        try {
          const messages = await consumer.consume({ max_messages: consumeOptions.batchSize * 2, expires: 5_000 });
          current = messages;
          for await (const message of messages) {
            batch.push(message);
            if (batch.length >= consumeOptions.batchSize) await flush();
            else timer ??= setTimeout(() => void flush(), consumeOptions.maxWaitMs);
          }
        } catch (error) {
          if (stopped) break;
          consumeOptions.onError?.(error);
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      }
    })();

    return {
      async stop() {
        stopped = true;
        current?.stop();
        await loop;
        await flush();
      },
    };
  }

  return {
    kind: 'jetstream',
    publisher,
    consume,
    async close() {
      await nc.drain().catch(() => undefined);
    },
  };
}
