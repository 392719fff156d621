import { ADMIN_ROUTES } from '@sluice/common';
import type { FastifyInstance } from 'fastify';
import type { EdgeContext } from '../edge-context.js';
import { extractApiKey } from '../openai/api-key.js';

/**
 * The admin API (keys, teams, users, organisations; LiteLLM's routes and fields). The edge validates the
 * body or query against the route's schema and forwards the call to policy, which authorizes the caller
 * and answers; path parameters (`/key/:key/regenerate`) travel as query fields.
 */
export function adminRoutes(app: FastifyInstance, context: EdgeContext): void {
  for (const route of ADMIN_ROUTES) {
    for (const path of route.paths) {
      app.route({
        method: route.method,
        url: path,
        schema: route.method === 'GET' ? { querystring: route.query } : { body: route.body },
        handler: async (request, reply) => {
          const query = { ...(request.query as Record<string, string>), ...(request.params as Record<string, string>) };
          const result = await context.clients.admin({
            method: route.method,
            route: route.route,
            query,
            bodyJson: request.rawBody ?? Buffer.alloc(0),
            apiKey: extractApiKey(request.headers, context.options.keyHeader),
            requestId: request.id,
          });
          reply.code(result.status).type('application/json').send(Buffer.from(result.bodyJson));
        },
      });
    }
  }
}
