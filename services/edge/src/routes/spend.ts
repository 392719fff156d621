import { GatewayError, SPEND_ROUTES } from '@sluice/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EdgeContext } from '../edge-context.js';
import { extractApiKey } from '../openai/api-key.js';
import { denial } from '../proxy/forward-to-router.js';
import { authorizeRequest } from '../clients/authorize-request.js';

// LiteLLM's spend routes, answered by the accounting service from the ledger. Policy decides who may
// read them: the master key, a key policy marks as admin, or a key with permissions.get_spend_routes.

function queryStrings(query: unknown): Record<string, string> {
  // Query names are client text: a null prototype keeps "__proto__" or "constructor" a plain name.
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (!query || typeof query !== 'object') return out;
  for (const [name, value] of Object.entries(query as Record<string, unknown>)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') out[name] = first;
  }
  return out;
}

export function spendRoutes(app: FastifyInstance, context: EdgeContext): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions.url ?? request.url.split('?')[0]!;
    const apiKey = extractApiKey(request.headers, context.options.keyHeader);
    if (apiKey === '') throw new GatewayError('missing_api_key');
    const decision = await context.clients.authorize(
      authorizeRequest({ requestId: request.id, apiKey, route, adminRoute: true, checkOnly: true }),
    );
    if (!decision.allowed) throw denial(decision);
    const result = await context.clients.spend({
      method: request.method,
      route,
      query: queryStrings(request.query),
      bodyJson: request.method === 'POST' ? (request.rawBody ?? Buffer.alloc(0)) : Buffer.alloc(0),
      // Accounting trusts the edge's check above; the key itself does not travel further.
      apiKey: '',
      requestId: request.id,
    });
    reply.code(result.status).type('application/json').send(Buffer.from(result.bodyJson));
  };
  for (const { method, route } of SPEND_ROUTES) app.route({ method, url: route, handler });
}
