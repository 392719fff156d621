import type { handleBidiStreamingCall, ServerDuplexStream } from '@grpc/grpc-js';
import { Cancellation, type CancelSignal, encodeMessage, GatewayError, type Logger, MultiplexedStreams } from '@sluice/common';
import { type CompletePart, type CompleteRequest, CompleteStreamParts, type CompleteStreamRequest } from '@sluice/proto';

type Complete = (request: CompleteRequest, signal: CancelSignal) => AsyncIterable<CompletePart>;
// Parts are encoded by MultiplexedStreams, one request's at a time (see pre-encoded.ts).
type Call = ServerDuplexStream<CompleteStreamRequest, Buffer>;

/** An empty request id: "send no more requests on this stream" (see router.proto). */
const DRAIN_NOTICE: CompleteStreamParts = { requestId: '', parts: [], last: true };

function failurePart(error: unknown): CompletePart {
  const gateway = error instanceof GatewayError ? error : new GatewayError('internal_error');
  return {
    part: {
      $case: 'failure',
      failure: { code: gateway.code, message: gateway.message, retryAfterSeconds: gateway.details.retryAfterSeconds ?? 0, param: gateway.details.param ?? '' },
    },
  };
}

/**
 * CompleteStream: many Complete calls over one stream. Each request runs the same generator as the
 * per-call Complete RPC; a stream's parts yielded within one turn of the event loop go out together in
 * one message (its first chunk travels with its Start), and a non-streaming answer is one message.
 */
export function createCompleteStreamHandler(complete: Complete, logger: Logger) {
  const streams = new MultiplexedStreams<CompleteStreamRequest, CompleteStreamParts>(DRAIN_NOTICE, (message) =>
    encodeMessage(CompleteStreamParts, message),
  );

  const handler: handleBidiStreamingCall<CompleteStreamRequest, Buffer> = (call: Call) => {
    streams.add(call);
    const active = new Map<string, Cancellation>();
    let clientDone = false;
    const endIfIdle = () => {
      if (clientDone && active.size === 0) call.end();
    };

    const run = (request: CompleteRequest) => {
      const requestId = request.requestId;
      const controller = new Cancellation();
      active.set(requestId, controller);
      let batch: CompletePart[] = [];
      let scheduled = false;
      const flush = (last: boolean) => {
        if (batch.length === 0 && !last) return;
        const outcome = streams.write(call, { requestId, parts: batch, last });
        batch = [];
        if (outcome !== 'unencodable') return;
        // Something in these parts protobuf cannot hold: this request ends here, its neighbours go on.
        logger.warn({ requestId }, 'parts of a response could not be encoded; the request is ended');
        controller.abort();
        streams.write(call, { requestId, parts: [failurePart(new GatewayError('upstream_error', 'The provider sent a response the gateway cannot carry.'))], last: true });
      };
      const scheduleFlush = () => {
        if (scheduled) return;
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          if (!controller.aborted) flush(false);
        });
      };
      void (async () => {
        try {
          // A non-streaming answer's parts all come at its end (no keep-alives, nothing to show the
          // client before the body), so they wait for it: one message, and no flush scheduled per request.
          const streaming = request.stream;
          for await (const part of complete(request, controller)) {
            if (controller.aborted) return;
            batch.push(part);
            if (streaming) scheduleFlush();
          }
          if (!controller.aborted) flush(true);
        } catch (error) {
          if (controller.aborted) return;
          logger.debug({ err: error, requestId }, 'complete failed');
          batch.push(failurePart(error));
          flush(true);
        } finally {
          active.delete(requestId);
          endIfIdle();
        }
      })();
    };

    call.on('data', (message: CompleteStreamRequest) => {
      const kind = message.kind;
      if (kind?.$case === 'start') run(kind.start);
      else if (kind?.$case === 'cancelRequestId') {
        active.get(kind.cancelRequestId)?.abort();
        active.delete(kind.cancelRequestId);
      }
    });
    call.on('end', () => {
      clientDone = true;
      endIfIdle();
    });
    // The edge went away: nobody will read these answers, so stop paying the providers for them.
    call.on('cancelled', () => {
      for (const controller of active.values()) controller.abort();
      active.clear();
    });
  };

  return { handler, drain: () => streams.drain() };
}
