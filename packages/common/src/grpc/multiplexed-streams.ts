import type { ServerDuplexStream } from '@grpc/grpc-js';
import { UnencodableMessageError } from './pre-encoded.js';

/** What became of a message written to a multiplexed call. */
export type WriteOutcome = 'written' | 'gone' | 'unencodable';

/**
 * The server side of the multiplexed streams (AuthorizeStream, CompleteStream): the open calls, so a
 * draining service can tell every client to stop sending, and a safe write for calls that may already be
 * gone. Responses are encoded here, not by grpc-js (see pre-encoded.ts): a message that cannot be
 * encoded is reported to the caller, and the call with every other request on it carries on.
 */
export class MultiplexedStreams<Request, Response> {
  private readonly open = new Set<ServerDuplexStream<Request, Buffer>>();
  private draining = false;

  constructor(
    private readonly drainNotice: Response,
    private readonly encode: (message: Response) => Buffer,
  ) {}

  /** Registers a new call; one opened while draining is told so at once. */
  add(call: ServerDuplexStream<Request, Buffer>): void {
    this.open.add(call);
    const forget = () => this.open.delete(call);
    call.on('close', forget);
    call.on('cancelled', forget);
    call.on('error', forget);
    if (this.draining) this.write(call, this.drainNotice);
  }

  /**
   * Writes unless the call has ended; a client that went away is not an error worth a crash. `gone`
   * means the message certainly did not reach the client.
   */
  write(call: ServerDuplexStream<Request, Buffer>, message: Response): WriteOutcome {
    if (call.cancelled || call.destroyed || call.writableEnded) return 'gone';
    let bytes: Buffer;
    try {
      bytes = this.encode(message);
    } catch (error) {
      if (error instanceof UnencodableMessageError) return 'unencodable';
      throw error;
    }
    try {
      call.write(bytes);
      return 'written';
    } catch {
      // Ended between the check and the write.
      return 'gone';
    }
  }

  /** Tells every client its stream takes no more requests. */
  drain(): void {
    this.draining = true;
    for (const call of this.open) this.write(call, this.drainNotice);
  }
}
