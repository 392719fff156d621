import { GatewayError } from '@sluice/common';
import { CallType } from '@sluice/proto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authorizeRequest } from '../clients/authorize-request.js';
import { extractApiKey } from '../openai/api-key.js';
import { denial } from '../proxy/forward-to-router.js';
import type { EdgeContext } from '../edge-context.js';
import { ResponsesBodySchema } from '../openai/request-schemas.js';
import { RESPONSES_WIRE } from '../proxy/inbound-wire.js';
import { forwardingRoute } from './forwarding-route.js';

/** POST /v1/responses (OpenAI's Responses API), streaming or not. */
export function responsesRoutes(app: FastifyInstance, context: EdgeContext): void {
  forwardingRoute(app, context, {
    path: '/v1/responses',
    schema: ResponsesBodySchema,
    callType: CallType.CALL_TYPE_RESPONSES,
    callTypeName: 'responses',
    streams: true,
    wire: RESPONSES_WIRE,
  });

  /** The caller's key hash, after policy accepted the key (nothing is reserved: no provider is called). */
  const owner = async (request: FastifyRequest, route: string): Promise<string> => {
    const apiKey = extractApiKey(request.headers, context.options.keyHeader);
    if (apiKey === '') throw new GatewayError('missing_api_key');
    const decision = await context.clients.authorize(authorizeRequest({ requestId: request.id, apiKey, route, checkOnly: true, traceparent: request.traceparent }));
    request.decision = decision;
    if (!decision.allowed) throw denial(decision);
    return decision.identity?.keyHash ?? '';
  };
  const notFound = (id: string) => new GatewayError('not_found', `Response with id '${id}' not found.`, { param: 'response_id' });

  // GET and DELETE /v1/responses/{id}: responses created with store: true, by the key that created them.
  const get = async (request: FastifyRequest<{ Params: { id: string } }>, reply: import('fastify').FastifyReply) => {
    const stored = await context.clients.getStoredResponse({ id: request.params.id, owner: await owner(request, '/v1/responses') });
    if (!stored.found) throw notFound(request.params.id);
    return reply.type('application/json').send(Buffer.from(stored.json));
  };
  const remove = async (request: FastifyRequest<{ Params: { id: string } }>) => {
    const stored = await context.clients.deleteStoredResponse({ id: request.params.id, owner: await owner(request, '/v1/responses') });
    if (!stored.found) throw notFound(request.params.id);
    return { id: request.params.id, object: 'response', deleted: true };
  };
  for (const prefix of ['/v1', '']) {
    app.get(`${prefix}/responses/:id`, get);
    app.delete(`${prefix}/responses/:id`, remove);
  }
}
