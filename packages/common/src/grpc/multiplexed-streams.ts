import type { ServerDuplexStream } from '@grpc/grpc-js';

/**
 * The server side of the multiplexed streams (AuthorizeStream, CompleteStream): the open calls, so a
 * draining service can tell every client to stop sending, and a safe write for calls that may already be
 * gone.
 */
export class MultiplexedStreams<Request, Response> {
  private readonly open = new Set<ServerDuplexStream<Request, Response>>();
  private draining = false;

  constructor(private readonly drainNotice: Response) {}

  /** Registers a new call; one opened while draining is told so at once. */
  add(call: ServerDuplexStream<Request, Response>): void {
    this.open.add(call);
    const forget = () => this.open.delete(call);
    call.on('close', forget);
    call.on('cancelled', forget);
    call.on('error', forget);
    if (this.draining) this.write(call, this.drainNotice);
  }

  /** Writes unless the call has ended; a client that went away is not an error worth a crash. */
  write(call: ServerDuplexStream<Request, Response>, message: Response): void {
    if (call.cancelled || call.destroyed || call.writableEnded) return;
    try {
      call.write(message);
    } catch {
      // Ended between the check and the write.
    }
  }

  /** Tells every client its stream takes no more requests. */
  drain(): void {
    this.draining = true;
    for (const call of this.open) this.write(call, this.drainNotice);
  }
}
