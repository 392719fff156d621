import type { Logger } from './logger.js';

export interface ShutdownStep {
  name: string;
  run: () => Promise<unknown>;
}

/**
 * Runs the steps in order on SIGTERM or SIGINT, each bounded by what is left of `timeoutMs`, then exits
 * 0. A second signal exits at once. Steps are how a service stops taking work, drains what it has,
 * and flushes what it owes (usage events, acks) before the process ends.
 */
export function exitOnSignals(logger: Logger, steps: ShutdownStep[], timeoutMs: number): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    void runShutdown(logger, steps, timeoutMs).then((clean) => {
      logger.info({ clean }, 'stopped');
      logger.flush?.();
      process.exit(0);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Runs the steps in order; resolves false when a step failed or the budget ran out. */
export async function runShutdown(logger: Logger, steps: ShutdownStep[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let clean = true;
  for (const step of steps) {
    const left = Math.max(0, deadline - Date.now());
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), left);
    });
    try {
      const outcome = await Promise.race([step.run().then(() => 'done' as const), timedOut]);
      if (outcome === 'timeout') {
        clean = false;
        logger.warn({ step: step.name }, 'shutdown step ran out of time');
      }
    } catch (error) {
      clean = false;
      logger.error({ step: step.name, err: error }, 'shutdown step failed');
    } finally {
      clearTimeout(timer);
    }
  }
  return clean;
}
