import type { FastifyInstance } from 'fastify';
import type { EdgeContext } from '../edge-context.js';

/** GET /metrics: the edge's Prometheus metrics, on its API port (the ServiceMonitor scrapes it there). */
export function metricsRoutes(app: FastifyInstance, context: EdgeContext): void {
  app.get('/metrics', async (_request, reply) => {
    const text = await context.observability.metrics.registry.render();
    reply.type('text/plain; version=0.0.4; charset=utf-8');
    return text;
  });
}
