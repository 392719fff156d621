import type { FastifyInstance } from 'fastify';
import type { EdgeContext } from '../edge-context.js';

/**
 * Readiness of the edge: not draining, and policy and router answer. One function, so the API port and the
 * side port (what the chart's probes and the scrapers reach) never disagree.
 */
export async function edgeReady(context: EdgeContext): Promise<boolean> {
  return !context.state.draining && (await context.clients.healthy());
}

/** Liveness never depends on another service; readiness needs policy and router and drops on SIGTERM. */
export function healthRoutes(app: FastifyInstance, context: EdgeContext): void {
  const alive = async () => "I'm alive!";
  app.get('/health/liveliness', alive);
  app.get('/health/liveness', alive);
  app.get('/health/readiness', async (_request, reply) => {
    const ready = await edgeReady(context);
    reply.code(ready ? 200 : 503);
    return { status: ready ? 'healthy' : 'unhealthy', draining: context.state.draining };
  });
}
