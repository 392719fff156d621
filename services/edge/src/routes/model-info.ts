import type { ModelInfo } from '@sluice/proto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EdgeContext } from '../edge-context.js';
import { requireAdmin } from './require-admin.js';

export const MODEL_INFO_ROUTES = ['/model/info', '/v1/model/info'] as const;

/** LiteLLM's /model/info entries (one per deployment), with each deployment's live state in model_info. */
export function modelInfoBody(models: readonly ModelInfo[]) {
  return {
    data: models.flatMap((group) =>
      group.deployments.map((deployment) => ({
        model_name: group.id,
        // No api_key and no full api_base: only what tells deployments apart.
        litellm_params: { model: `${deployment.provider}/${deployment.model}` },
        model_info: {
          id: deployment.id,
          mode: group.mode,
          provider: deployment.provider,
          api_base_host: deployment.apiBaseHost,
          cooling_down: deployment.coolingDown,
          cooldown_remaining_ms: deployment.cooldownRemainingMs,
          recent_requests: deployment.recentRequests,
          recent_failures: deployment.recentFailures,
          db_model: deployment.dbModel,
        },
      })),
    ),
  };
}

/**
 * GET /model/info and /v1/model/info: every deployment of every model group, its cooldown and its recent
 * error counts as the router replica that answers sees them. Admin only (it names upstream hosts).
 */
export function modelInfoRoutes(app: FastifyInstance, context: EdgeContext): void {
  const handler = async (request: FastifyRequest) => {
    await requireAdmin(context, request, '/model/info');
    const { models } = await context.clients.listModels();
    return modelInfoBody(models);
  };
  for (const route of MODEL_INFO_ROUTES) app.get(route, handler);
}
