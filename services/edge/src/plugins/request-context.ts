import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** performance.now() when the request arrived: the zero of x-sluice-overhead-ms. */
    startedAt: number;
    /** Wall-clock arrival, for the ledger. */
    startedAtMs: number;
    /** The body exactly as received, forwarded to the router without re-serializing. */
    rawBody: Buffer | undefined;
  }
}

/**
 * Timing and identification for every response: x-request-id, and x-sluice-overhead-ms (for routes that
 * never leave the edge it is the whole time; proxied routes subtract the provider's share themselves).
 */
export function requestContext(app: FastifyInstance): void {
  app.decorateRequest('startedAt', 0);
  app.decorateRequest('startedAtMs', 0);
  app.decorateRequest('rawBody', undefined);
  app.addHook('onRequest', (request, _reply, done) => {
    request.startedAt = performance.now();
    request.startedAtMs = Date.now();
    done();
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    if (!reply.hasHeader('x-sluice-overhead-ms')) {
      reply.header('x-sluice-overhead-ms', (performance.now() - request.startedAt).toFixed(3));
    }
    done(null, payload);
  });
}
