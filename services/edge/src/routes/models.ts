import { GatewayError } from '@sluice/common';
import type { FastifyInstance } from 'fastify';
import type { EdgeContext } from '../edge-context.js';
import { extractApiKey } from '../openai/api-key.js';
import { denial } from '../proxy/forward-to-router.js';
import { authorizeRequest } from '../clients/authorize-request.js';

// OpenAI's model objects carry a creation time; configured model groups have none, so they all report
// when this process started.
const CREATED = Math.floor(Date.now() / 1000);

/** GET /v1/models: the configured model_names this key may use. */
export function modelRoutes(app: FastifyInstance, context: EdgeContext): void {
  const list = async (request: import('fastify').FastifyRequest) => {
    const apiKey = extractApiKey(request.headers, context.options.keyHeader);
    if (apiKey === '') throw new GatewayError('missing_api_key');
    const decision = await context.clients.authorize(
      authorizeRequest({ requestId: request.id, apiKey, route: '/v1/models', checkOnly: true, traceparent: request.traceparent }),
    );
    request.decision = decision;
    if (!decision.allowed) throw denial(decision);
    const { models } = await context.clients.listModels();
    const allowed = decision.allowedModels.length > 0 ? new Set(decision.allowedModels) : undefined;
    return {
      object: 'list',
      data: models
        .filter((model) => !allowed || allowed.has(model.id))
        .map((model) => ({ id: model.id, object: 'model', created: CREATED, owned_by: model.ownedBy })),
    };
  };
  app.get('/v1/models', list);
  app.get('/models', list);
}
