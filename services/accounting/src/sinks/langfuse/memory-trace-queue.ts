import type { LangfuseSettings, Logger } from '@sluice/common';
import type { ExportTraces } from './export-traces.js';
import { retryDelayMs, type TraceQueue } from './trace-queue.js';

/**
 * Embedded mode has no Redis: jobs run in this process with the same retries and backoff. A job lost
 * with the process is not lost for good: its requests are still in trace_outbox and the relay queues
 * them again after SLUICE_LANGFUSE_REQUEUE_AFTER_MS.
 */
export function createMemoryTraceQueue(exportTraces: ExportTraces, langfuse: LangfuseSettings, logger: Logger): TraceQueue {
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  let closed = false;

  const run = (requestIds: readonly string[], attempt: number) => {
    if (closed) return;
    const work = exportTraces(requestIds).then(
      () => undefined,
      (error: unknown) => {
        logger.warn({ err: error, traces: requestIds.length, attempt }, 'langfuse export failed; it will be retried');
        const timer = setTimeout(() => {
          timers.delete(timer);
          run(requestIds, attempt + 1);
        }, retryDelayMs(attempt, langfuse.retryBaseMs));
        timer.unref();
        timers.add(timer);
      },
    );
    running.add(work);
    void work.finally(() => running.delete(work));
  };

  return {
    kind: 'memory',
    async add(requestIds) {
      run([...requestIds], 1);
    },
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      await Promise.all(running);
    },
  };
}
