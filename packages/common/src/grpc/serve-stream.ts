import type { handleServerStreamingCall, Metadata, ServerWritableStream } from '@grpc/grpc-js';
import { toGrpcError } from './grpc-errors.js';

export type StreamHandler<Request, Part> = (
  request: Request,
  signal: AbortSignal,
  metadata: Metadata,
) => AsyncIterable<Part>;

/**
 * Adapts an async generator to a grpc-js server-streaming handler: every yielded part is written with
 * backpressure, a thrown error becomes the call's status (with our error code in the trailers), and the
 * client's cancellation aborts the signal the generator passes on to its upstream call.
 */
export function serveStream<Request, Part>(
  handler: StreamHandler<Request, Part>,
  onError?: (error: unknown) => void,
): handleServerStreamingCall<Request, Part> {
  return (call: ServerWritableStream<Request, Part>) => {
    const controller = new AbortController();
    call.on('cancelled', () => controller.abort());
    void (async () => {
      try {
        for await (const part of handler(call.request, controller.signal, call.metadata)) {
          if (controller.signal.aborted) return;
          if (!call.write(part)) {
            await new Promise<void>((resolve) => {
              const done = () => {
                call.off('drain', done);
                call.off('cancelled', done);
                resolve();
              };
              call.on('drain', done);
              call.on('cancelled', done);
            });
          }
        }
        if (!controller.signal.aborted) call.end();
      } catch (error) {
        if (controller.signal.aborted) return;
        onError?.(error);
        call.emit('error', toGrpcError(error));
      }
    })();
  };
}
