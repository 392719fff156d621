import type { Logger, UsageBus, UsageConsumer } from '@sluice/common';
import { UsageSettlement } from '@sluice/proto';
import type { LimitStore, Settlement } from '../limits/limit-store.js';

export interface UsageSettlerOptions {
  bus: UsageBus;
  /** settings.usage.policyConsumer: every policy replica shares it, so each event is settled once. */
  durable: string;
  store: LimitStore;
  logger: Logger;
}

/**
 * Reads the usage stream and settles each finished request's reservation to its real cost and tokens.
 * Batches are small and flushed quickly because budgets and token windows wait on them; acks follow the
 * Redis write, and settling is idempotent, so a redelivery after a crash changes nothing twice.
 */
export function startUsageSettler(options: UsageSettlerOptions): Promise<UsageConsumer> {
  const { store, logger } = options;
  return options.bus.consume({
    durable: options.durable,
    batchSize: 500,
    maxWaitMs: 10,
    // While Redis is away every settlement fails; the events must wait for it, not be given up on (a lost
    // settlement would leave its cost out of the live counters for the rest of the period).
    maxDeliver: -1,
    async handle(batch) {
      const settlements: Settlement[] = [];
      const accepted = [];
      for (const delivery of batch) {
        let event: UsageSettlement;
        try {
          // Only the fields settling needs; the rest of the event is skipped, not decoded.
          event = UsageSettlement.decode(delivery.data);
        } catch (error) {
          // Accounting parks unreadable events; for policy there is nothing to settle.
          logger.warn({ err: error }, 'unreadable usage event skipped');
          delivery.term();
          continue;
        }
        // A cached answer cost nothing and used no provider tokens: it settles to zero, which gives its
        // whole reservation back. It still counted as a request when it was admitted.
        settlements.push({
          requestId: event.requestId,
          // An event from an older edge carries only the rounded micro-USD.
          costNanos: event.cacheHit ? 0 : Math.max(0, Math.round(event.costNanos !== 0 ? event.costNanos : event.costMicros * 1000)),
          tokens: event.cacheHit ? 0 : event.promptTokens + event.completionTokens,
          // Admitted from a lease: it settles against the lease, which gives back the estimate it took.
          lease: event.leaseId === '' ? undefined : { id: event.leaseId, tokens: event.leaseTokens, costNanos: event.leaseCostNanos },
        });
        accepted.push(delivery);
      }
      const settled = await store.settle(settlements);
      for (const delivery of accepted) delivery.ack();
      logger.debug({ events: settlements.length, settled }, 'settled usage');
    },
    onError(error) {
      logger.warn({ err: error }, 'usage settlement failed; the events will be redelivered');
    },
  });
}
