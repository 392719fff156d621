import type { Logger, UsageBus, UsageConsumer } from '@sluice/common';
import type { createBatchWriter } from './batcher.js';

export interface ConsumerOptions {
  bus: UsageBus;
  durable: string;
  batchSize: number;
  maxWaitMs: number;
  concurrency: number;
  writeBatch: ReturnType<typeof createBatchWriter>;
  logger: Logger;
}

/**
 * Pulls usage events in batches (by size and by time) and hands each batch to the ledger writer. The
 * stream never gives up on an event by itself (max_deliver -1): the writer parks what it cannot take in
 * usage_dead_letters after its own max_deliver, and an outage of any length only delays the rest.
 */
export function startUsageConsumer(options: ConsumerOptions): Promise<UsageConsumer> {
  const { logger } = options;
  return options.bus.consume({
    durable: options.durable,
    batchSize: options.batchSize,
    maxWaitMs: options.maxWaitMs,
    concurrency: options.concurrency,
    maxDeliver: -1,
    async handle(batch) {
      const result = await options.writeBatch(batch);
      logger.debug({ size: batch.length, ...result }, 'usage batch handled');
    },
    onError(error) {
      logger.warn({ err: error }, 'usage batch failed; it will be redelivered');
    },
  });
}
