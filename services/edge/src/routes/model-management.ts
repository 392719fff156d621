import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EdgeContext } from '../edge-context.js';
import { requireAdmin } from './require-admin.js';

// Models in the database (general_settings.store_model_in_db), LiteLLM's routes and shapes:
// POST /model/new {model_name, litellm_params, model_info}, POST /model/update {model_info: {id}, ...the
// fields to change}, POST /model/delete {id}; and GET /model_group/info, one entry per model group.
// Admin only. The router validates, stores (provider keys sealed) and answers; no answer carries a key.

const Params = Type.Record(Type.String(), Type.Unknown());
const NewModelBody = Type.Object({ model_name: Type.String({ minLength: 1, maxLength: 256 }), litellm_params: Params, model_info: Type.Optional(Params) });
const UpdateModelBody = Type.Object({
  model_name: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  litellm_params: Type.Optional(Params),
  model_info: Params,
});
const DeleteModelBody = Type.Object({ id: Type.String({ minLength: 1, maxLength: 256 }) });

const ROUTES = [
  { path: '/model/new', action: 'new', schema: NewModelBody },
  { path: '/model/update', action: 'update', schema: UpdateModelBody },
  { path: '/model/delete', action: 'delete', schema: DeleteModelBody },
] as const;

export function modelManagementRoutes(app: FastifyInstance, context: EdgeContext): void {
  for (const { path, action, schema } of ROUTES) {
    app.post(path, { schema: { body: schema } }, async (request: FastifyRequest, reply) => {
      const decision = await requireAdmin(context, request, path);
      const identity = decision.identity;
      const caller = identity?.keyAlias || identity?.keyHash || '';
      const { json } = await context.clients.manageModel({ action, body: Buffer.from(JSON.stringify(request.body)), caller });
      return reply.type('application/json').send(json);
    });
  }

  app.get('/model_group/info', async (request: FastifyRequest) => {
    await requireAdmin(context, request, '/model_group/info');
    const { models } = await context.clients.listModels();
    return {
      data: models.map((group) => ({
        model_group: group.id,
        providers: [...new Set(group.deployments.map((deployment) => deployment.provider))],
        mode: group.mode,
      })),
    };
  });
}
