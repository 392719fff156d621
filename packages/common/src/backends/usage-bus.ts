import type { UsageEvent } from '@sluice/proto';

// The usage stream as the services see it: JetStream in production, an in-process bus in embedded
// mode. Delivery is at-least-once; consumers make their effects idempotent on the request id.

export interface UsagePublisher {
  /**
   * Queues the event and returns at once; it goes out with the others of the next few milliseconds and
   * is retried until the stream acknowledges it. Never blocks the request path, never throws.
   */
  publish(event: UsageEvent): void;
  /** Events not yet acknowledged by the stream. */
  pending(): number;
  /** Waits until every queued event is acknowledged or `timeoutMs` passes; resolves to what is left. */
  flush(timeoutMs: number): Promise<number>;
}

/**
 * One event as a consumer sees it. Events that travelled in one message are answered together: the
 * message is acked once each has an answer, or redelivered whole if any is nak'd.
 */
export interface UsageDelivery {
  readonly data: Uint8Array;
  /** The carrying message's headers. */
  readonly headers: Record<string, string>;
  /** 1 on first delivery. */
  readonly deliveryCount: number;
  ack(): void;
  /** Redeliver later. */
  nak(delayMs?: number): void;
  /** Never redeliver (after it has been parked elsewhere). */
  term(): void;
}

export interface ConsumeOptions {
  /** Durable consumer name: replicas with the same name share the work. */
  durable: string;
  /** Hand over a batch when it has this many events (or a few more: a message's events stay together)... */
  batchSize: number;
  /** ...or when its first event has waited this long. */
  maxWaitMs: number;
  /**
   * Deliveries after which the stream itself gives up on an event (JetStream max_deliver); -1 = never,
   * for consumers that park events they cannot take themselves. Default: the usage settings' maxDeliver.
   */
  maxDeliver?: number;
  /** Batches handled at the same time (default 1: one after another, in order). */
  concurrency?: number;
  /** Acks, naks or terms every delivery; a throw naks the whole batch. */
  handle(batch: UsageDelivery[]): Promise<void>;
  onError?(error: unknown): void;
}

export interface UsageConsumer {
  /**
   * Stops pulling, finishes the batch in hand, and returns. With `timeoutMs`, a batch still unfinished
   * by then is nak'd, so another replica gets it at once instead of after the ack wait.
   */
  stop(timeoutMs?: number): Promise<void>;
}

/** Where a durable consumer stands, for the consumer-lag metrics; counted in messages (batches of events). */
export interface ConsumerLag {
  /** Messages in the stream not yet delivered to the consumer. */
  pending: number;
  /** Delivered and not yet acknowledged. */
  ackPending: number;
  /** Delivered more than once and not yet acknowledged. */
  redelivered: number;
}

export interface UsageBus {
  readonly kind: 'jetstream' | 'memory';
  publisher: UsagePublisher;
  consume(options: ConsumeOptions): Promise<UsageConsumer>;
  close(): Promise<void>;
  /** The consumer's lag, read from the stream (one request; for scrapes, not the request path). */
  lag?(durable: string): Promise<ConsumerLag>;
}
