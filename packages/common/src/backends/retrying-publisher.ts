import type { UsageEvent } from '@sluice/proto';
import { UsageEvent as UsageEventCodec } from '@sluice/proto';
import type { Logger } from '../logger.js';
import type { UsagePublisher } from './usage-bus.js';

export interface OutgoingEvent {
  id: string;
  data: Uint8Array;
  headers: Record<string, string>;
}

/** Sends one event and resolves when the stream has it (duplicates included). */
export type SendEvent = (event: OutgoingEvent) => Promise<void>;

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

/**
 * Keeps every event until the stream acknowledges it, retrying with backoff while the stream is
 * unreachable. Retries reuse the request id as the message id, so a retry of an event that did arrive
 * is dropped by the stream's duplicate window (and by the ledger's primary key after that).
 */
export function createRetryingPublisher(send: SendEvent, logger: Logger, maxPending = 1_000_000): UsagePublisher {
  const pending = new Map<string, OutgoingEvent>();
  let waiters: Array<() => void> = [];
  let dropped = 0;

  const settle = (id: string) => {
    pending.delete(id);
    if (pending.size === 0 && waiters.length > 0) {
      const ready = waiters;
      waiters = [];
      for (const wake of ready) wake();
    }
  };

  const attempt = (event: OutgoingEvent, delayMs: number) => {
    send(event).then(
      () => settle(event.id),
      (error: unknown) => {
        if (delayMs === FIRST_RETRY_MS) {
          logger.warn({ requestId: event.id, err: error }, 'usage event not acknowledged yet; retrying');
        }
        const timer = setTimeout(() => attempt(event, Math.min(delayMs * 2, MAX_RETRY_MS)), delayMs);
        timer.unref();
      },
    );
  };

  return {
    publish(event: UsageEvent, headers: Record<string, string> = {}) {
      if (pending.size >= maxPending) {
        dropped += 1;
        logger.error({ requestId: event.requestId, dropped }, 'usage publish queue full; event dropped');
        return;
      }
      const outgoing = { id: event.requestId, data: UsageEventCodec.encode(event).finish(), headers };
      pending.set(outgoing.id, outgoing);
      attempt(outgoing, FIRST_RETRY_MS);
    },
    pending: () => pending.size,
    flush(timeoutMs) {
      if (pending.size === 0) return Promise.resolve(0);
      return new Promise<number>((resolve) => {
        const timer = setTimeout(() => resolve(pending.size), timeoutMs);
        waiters.push(() => {
          clearTimeout(timer);
          resolve(0);
        });
      });
    },
  };
}
