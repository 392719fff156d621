import { createRequire } from 'node:module';
import { connectRedis, hashTagged, type LangfuseSettings, type Logger, type Settings } from '@sluice/common';
import type { ExportTraces } from './export-traces.js';
import { retryDelayMs, type TraceQueue } from './trace-queue.js';

const QUEUE_NAME = 'langfuse-traces';
const ATTEMPTS = 12;
const CONCURRENCY = 2;
const ADD_TIMEOUT_MS = 5_000;

export interface BullmqTraceQueueOptions {
  /** The deployment's Redis (a server or a cluster) and prefix (SLUICE_REDIS_PREFIX). */
  settings: Settings;
  langfuse: LangfuseSettings;
  exportTraces: ExportTraces;
  logger: Logger;
}

/**
 * The export queue on BullMQ. BullMQ cannot run on a client with an ioredis keyPrefix, so its keys get
 * the deployment's prefix through BullMQ's own `prefix` instead, with a hash tag: BullMQ's scripts touch
 * several keys of a queue at once, which a Redis Cluster allows only within one slot. Its worker needs a
 * connection that retries forever (maxRetriesPerRequest: null), while the producer side fails fast so
 * the relay never waits on a Redis that is away. A job whose attempts run out stays in the outbox and
 * is queued again by the relay, so nothing is dropped, however long Langfuse is down.
 */
export function createBullmqTraceQueue(options: BullmqTraceQueueOptions): TraceQueue {
  // Loaded only when Langfuse export is on.
  const require = createRequire(import.meta.url);
  const { Queue, Worker } = require('bullmq') as typeof import('bullmq');
  const { logger, settings } = options;
  const prefix = `${settings.redisPrefix}${hashTagged(`${settings.redisPrefix}bull`)}`;
  const producer = connectRedis(settings, logger, { name: 'sluice-accounting-trace-queue', unprefixed: true, commandTimeoutMs: ADD_TIMEOUT_MS });
  const consumer = connectRedis(settings, logger, { name: 'sluice-accounting-trace-worker', unprefixed: true, waitForever: true });

  const queue = new Queue(QUEUE_NAME, {
    connection: producer,
    prefix,
    defaultJobOptions: {
      attempts: ATTEMPTS,
      backoff: { type: 'capped-exponential' },
      removeOnComplete: true,
      removeOnFail: { age: 24 * 3_600 },
    },
  });
  queue.on('error', (error) => logger.debug({ err: error }, 'trace queue error'));

  const worker = new Worker<{ requestIds: string[] }>(
    QUEUE_NAME,
    async (job) => {
      const sent = await options.exportTraces(job.data.requestIds);
      return { sent };
    },
    {
      connection: consumer,
      prefix,
      concurrency: CONCURRENCY,
      settings: { backoffStrategy: (attemptsMade: number) => retryDelayMs(attemptsMade, options.langfuse.retryBaseMs) },
    },
  );
  worker.on('error', (error) => logger.debug({ err: error }, 'trace worker error'));
  worker.on('failed', (job, error) => {
    logger.warn({ err: error, traces: job?.data.requestIds.length, attempt: job?.attemptsMade }, 'langfuse export failed; it will be retried');
  });

  return {
    kind: 'bullmq',
    async add(requestIds) {
      // No custom job id: a set queued again (after an unclear answer, or by the relay after a job ran
      // out of attempts) must run again, and the exporter skips whatever already left the outbox.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('trace queue did not answer in time')), ADD_TIMEOUT_MS);
      });
      try {
        await Promise.race([queue.add('export', { requestIds: [...requestIds] }), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await worker.close().catch(() => undefined);
      await queue.close().catch(() => undefined);
      producer.disconnect();
      consumer.disconnect();
    },
  };
}
