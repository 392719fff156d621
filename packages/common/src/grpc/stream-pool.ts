import type { ClientDuplexStream } from '@grpc/grpc-js';

// Many request/answer exchanges over a few long-lived bidirectional streams. In grpc-js a call costs
// several times the CPU of a message on an open stream (HTTP/2 stream set-up, headers, trailers, timers
// on both sides), and the edge makes two calls per request, so the request path multiplexes instead.
//
// Each slot of the pool has its own channel (its own TCP connection): behind a Kubernetes Service the
// connections land on different replicas, and rotating a slot to a fresh channel now and then spreads
// the load again after a scale-out. A rotated-out stream finishes the requests it carries, then closes.

export interface StreamChannel<Response> {
  /** A stream whose requests are bytes encoded by the pool (see pre-encoded.ts). */
  open(): ClientDuplexStream<Buffer, Response>;
  /**
   * False while the channel's connection is failing (grpc-js fails a new call at once then, instead of
   * waiting for the reconnection).
   */
  usable(): boolean;
  close(): void;
}

export interface StreamPoolOptions<Request, Response> {
  /** Streams (and channels) to spread requests over. */
  size: number;
  /** Replace a slot's channel and stream after this long. */
  rotateAfterMs: number;
  /** A new channel to the service (with its own subchannel pool, so its own connection). */
  connect(): StreamChannel<Response>;
  /**
   * Encodes a request message; throws UnencodableMessageError (from encodeMessage) for one protobuf
   * cannot hold, which then fails only the request that sent it.
   */
  encode(message: Request): Buffer;
  /** Every message from any stream. */
  onMessage(message: Response): void;
  /**
   * The service says it is shutting down (draining): no new requests may go on this stream. The pool
   * moves the slot to a fresh channel (another replica) and lets the old stream finish what it carries.
   */
  isDrainNotice(message: Response): boolean;
  /** A stream ended or failed: the requests it carried get no more answers. */
  onLost(requestIds: string[], error: Error): void;
  now?: () => number;
}

interface Slot<Request, Response> {
  channel: StreamChannel<Response>;
  stream: ClientDuplexStream<Buffer, Response> | undefined;
  openedAt: number;
  /** When this slot's last stream failed; 0 if it never did. */
  failedAt: number;
}

/** A slot whose stream just failed is passed over for this long while another slot is healthy. */
const FAILED_SLOT_REST_MS = 1_000;

interface Carrier<Request, Response> {
  stream: ClientDuplexStream<Buffer, Response>;
  requests: Set<string>;
  /** Rotated out: closes when its last request is done. */
  retired: boolean;
  channel: StreamChannel<Response>;
  /** The channel is shared with the slot's next stream and must not be closed with this one. */
  channelShared: boolean;
}

export class StreamPool<Request, Response> {
  private readonly slots: Array<Slot<Request, Response>> = [];
  private readonly carriers = new Map<ClientDuplexStream<Buffer, Response>, Carrier<Request, Response>>();
  private readonly carrierOf = new Map<string, Carrier<Request, Response>>();
  private next = 0;
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly options: StreamPoolOptions<Request, Response>) {
    this.now = options.now ?? Date.now;
    for (let index = 0; index < options.size; index += 1) {
      this.slots.push({ channel: options.connect(), stream: undefined, openedAt: this.now(), failedAt: 0 });
    }
  }

  /**
   * Sends the first message of a request on the next stream. Throws UnencodableMessageError, before
   * anything is sent, for a message that cannot be encoded.
   */
  send(requestId: string, message: Request): void {
    if (this.closed) throw new Error('stream pool closed');
    const bytes = this.options.encode(message);
    const slot = this.pick();
    if (slot.stream && this.now() - slot.openedAt > this.options.rotateAfterMs) this.rotate(slot);
    const stream = slot.stream ?? this.open(slot);
    const carrier = this.carriers.get(stream)!;
    carrier.requests.add(requestId);
    this.carrierOf.set(requestId, carrier);
    stream.write(bytes);
  }

  /**
   * The next slot in turn among the best available: one with an open stream, else one whose connection
   * is not failing and whose stream did not just fail, else one whose connection is not failing, else any
   * (the request then fails at once, which is right when the service is down).
   */
  private pick(): Slot<Request, Response> {
    const now = this.now();
    const tier = (slot: Slot<Request, Response>) => {
      if (slot.stream) return 0;
      if (!slot.channel.usable()) return 3;
      return now - slot.failedAt >= FAILED_SLOT_REST_MS ? 1 : 2;
    };
    let best = this.next;
    let bestTier = 4;
    for (let offset = 0; offset < this.slots.length && bestTier > 0; offset += 1) {
      const index = (this.next + offset) % this.slots.length;
      const candidate = tier(this.slots[index]!);
      if (candidate < bestTier) {
        best = index;
        bestTier = candidate;
      }
    }
    this.next = (best + 1) % this.slots.length;
    return this.slots[best]!;
  }

  /** Sends a follow-up message (a cancellation) on the stream that carries the request. */
  sendFollowUp(requestId: string, message: Request): void {
    const carrier = this.carrierOf.get(requestId);
    if (carrier) carrier.stream.write(this.options.encode(message));
  }

  /** The request got its last answer. */
  done(requestId: string): void {
    const carrier = this.carrierOf.get(requestId);
    if (!carrier) return;
    this.carrierOf.delete(requestId);
    carrier.requests.delete(requestId);
    if (carrier.retired && carrier.requests.size === 0) this.retire(carrier);
  }

  /** Requests in flight, over every stream. */
  get inFlight(): number {
    return this.carrierOf.size;
  }

  close(): void {
    this.closed = true;
    for (const carrier of [...this.carriers.values()]) this.fail(carrier, new Error('stream pool closed'));
    for (const slot of this.slots) slot.channel.close();
  }

  private open(slot: Slot<Request, Response>): ClientDuplexStream<Buffer, Response> {
    const stream = slot.channel.open();
    const carrier: Carrier<Request, Response> = {
      stream,
      requests: new Set(),
      retired: false,
      channel: slot.channel,
      channelShared: true,
    };
    this.carriers.set(stream, carrier);
    slot.stream = stream;
    slot.openedAt = this.now();
    stream.on('data', (message: Response) => {
      if (this.options.isDrainNotice(message)) {
        if (slot.stream === stream) this.rotate(slot);
        return;
      }
      this.options.onMessage(message);
    });
    stream.on('error', (error: Error) => this.fail(carrier, error));
    stream.on('end', () => this.fail(carrier, new Error('stream ended by the service')));
    return stream;
  }

  private rotate(slot: Slot<Request, Response>): void {
    const carrier = this.carriers.get(slot.stream!)!;
    carrier.retired = true;
    carrier.channelShared = false;
    slot.stream = undefined;
    slot.channel = this.options.connect();
    if (carrier.requests.size === 0) this.retire(carrier);
  }

  /** A rotated-out stream with nothing left on it: end it cleanly and drop its channel. */
  private retire(carrier: Carrier<Request, Response>): void {
    this.carriers.delete(carrier.stream);
    carrier.stream.removeAllListeners('end');
    carrier.stream.removeAllListeners('error');
    carrier.stream.on('error', () => undefined);
    carrier.stream.end();
    if (!carrier.channelShared) carrier.channel.close();
  }

  private fail(carrier: Carrier<Request, Response>, error: Error): void {
    if (!this.carriers.delete(carrier.stream)) return;
    for (const slot of this.slots) {
      if (slot.stream !== carrier.stream) continue;
      slot.stream = undefined;
      slot.failedAt = this.now();
    }
    const lost = [...carrier.requests];
    for (const requestId of lost) this.carrierOf.delete(requestId);
    carrier.requests.clear();
    carrier.stream.removeAllListeners('data');
    carrier.stream.on('error', () => undefined);
    carrier.stream.cancel();
    if (!carrier.channelShared) carrier.channel.close();
    if (lost.length > 0) this.options.onLost(lost, error);
  }
}
