import { Cancellation, type CancelSignal, GatewayError } from '@sluice/common';
import type { CompletePart, CompleteRequest } from '@sluice/proto';
import type { RouterCall } from './router-calls.js';

/**
 * The router's call path, handed to the edge when both run in one process (the launcher's
 * edge-with-router shape). The edge gets a function, never the router's model list or its provider keys.
 */
export type InProcessComplete = (request: CompleteRequest, signal: CancelSignal) => AsyncIterable<CompletePart>;

/**
 * One request on the in-process router: the same parts the CompleteStream would carry, with no encoding,
 * no HTTP/2 frame and no second process to wake. Errors reach the edge as the GatewayErrors a failure part
 * would have become; anything else is an internal error, as the stream handler makes it.
 */
export function inProcessRouterCall(complete: InProcessComplete, request: CompleteRequest): RouterCall {
  const cancellation = new Cancellation();
  return {
    cancel: () => cancellation.abort(),
    async *[Symbol.asyncIterator]() {
      let finished = false;
      try {
        for await (const part of complete(request, cancellation)) {
          if (cancellation.aborted) break;
          yield part;
        }
        finished = !cancellation.aborted;
      } catch (error) {
        if (cancellation.aborted) throw new Error('cancelled');
        throw error instanceof GatewayError ? error : new GatewayError('internal_error');
      } finally {
        // The edge stopped reading (or was cancelled): the upstream call must stop too.
        if (!finished) cancellation.abort();
      }
      if (cancellation.aborted) throw new Error('cancelled');
    },
  };
}
