import type { Logger } from '../logger.js';
import { createRetryingPublisher } from './retrying-publisher.js';
import type { ConsumeOptions, UsageBus, UsageConsumer, UsageDelivery } from './usage-bus.js';

interface StoredEvent {
  id: string;
  data: Uint8Array;
}

interface ConsumerState {
  /** Index of the next event never delivered. */
  cursor: number;
  /** Events handed out and not yet acked: index → delivery count. */
  redeliver: number[];
  deliveries: Map<number, number>;
}

/**
 * The embedded stand-in for JetStream, for `npm start` without NATS: one process, the same
 * at-least-once contract (dedupe on the request id, explicit ack, nak redelivers), nothing on disk.
 */
export function createMemoryUsageBus(logger: Logger, duplicateWindowMs = 120_000): UsageBus {
  const log: StoredEvent[] = [];
  const seen = new Map<string, number>();
  const consumers = new Map<string, ConsumerState>();
  const listeners = new Set<() => void>();

  const wake = () => {
    for (const listener of listeners) listener();
  };

  // Batches are unpacked on arrival: in one process there is no per-message cost to save.
  const publisher = createRetryingPublisher(async (batch) => {
    const now = Date.now();
    for (const event of batch.events) {
      const previous = seen.get(event.id);
      if (previous !== undefined && now - previous < duplicateWindowMs) continue;
      seen.set(event.id, now);
      log.push({ id: event.id, data: event.data });
    }
    wake();
  }, logger);

  async function consume(options: ConsumeOptions): Promise<UsageConsumer> {
    let state = consumers.get(options.durable);
    if (!state) {
      state = { cursor: 0, redeliver: [], deliveries: new Map() };
      consumers.set(options.durable, state);
    }
    const consumer = state;
    let stopped = false;
    let running: Promise<void> = Promise.resolve();

    const take = (): number[] => {
      const indexes: number[] = [];
      while (indexes.length < options.batchSize && consumer.redeliver.length > 0) indexes.push(consumer.redeliver.shift()!);
      while (indexes.length < options.batchSize && consumer.cursor < log.length) indexes.push(consumer.cursor++);
      return indexes;
    };

    const pump = async () => {
      while (!stopped) {
        const indexes = take();
        if (indexes.length === 0) return;
        const batch: UsageDelivery[] = indexes.map((index) => {
          const count = (consumer.deliveries.get(index) ?? 0) + 1;
          consumer.deliveries.set(index, count);
          const event = log[index]!;
          let done = false;
          const finish = () => {
            done = true;
            consumer.deliveries.delete(index);
          };
          return {
            data: event.data,
            headers: {},
            deliveryCount: count,
            ack: finish,
            term: finish,
            nak: (delayMs = 0) => {
              if (done) return;
              done = true;
              setTimeout(() => {
                consumer.redeliver.push(index);
                wake();
              }, delayMs).unref();
            },
          };
        });
        try {
          await options.handle(batch);
        } catch (error) {
          options.onError?.(error);
          for (const delivery of batch) delivery.nak(1_000);
        }
      }
    };

    let timer: NodeJS.Timeout | undefined;
    const listener = () => {
      if (stopped || timer) return;
      // Let a burst accumulate, as the JetStream consumer does.
      timer = setTimeout(() => {
        timer = undefined;
        running = running.then(pump);
      }, Math.min(options.maxWaitMs, 50));
    };
    listeners.add(listener);
    listener();

    return {
      async stop() {
        stopped = true;
        listeners.delete(listener);
        clearTimeout(timer);
        await running;
      },
    };
  }

  return {
    kind: 'memory',
    publisher,
    consume,
    async lag(durable) {
      const state = consumers.get(durable);
      if (!state) return { pending: log.length, ackPending: 0, redelivered: 0 };
      let redelivered = 0;
      for (const count of state.deliveries.values()) if (count > 1) redelivered += 1;
      return { pending: log.length - state.cursor + state.redeliver.length, ackPending: state.deliveries.size, redelivered };
    },
    async close() {
      for (const listener of listeners) listeners.delete(listener);
    },
  };
}
