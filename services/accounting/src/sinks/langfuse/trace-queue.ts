/**
 * Where the relay hands committed requests for export: BullMQ on Redis in production (retries with
 * backoff survive an accounting restart), an in-process queue in embedded mode.
 */
export interface TraceQueue {
  readonly kind: 'bullmq' | 'memory';
  /** Resolves once the job is stored; throws when it could not be. */
  add(requestIds: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

const MAX_RETRY_DELAY_MS = 5 * 60_000;

/** Delay before retry number `attempt` (1-based): doubling from `baseMs`, capped at 5 minutes. */
export function retryDelayMs(attempt: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), MAX_RETRY_DELAY_MS);
}
