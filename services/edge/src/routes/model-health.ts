import type { DeploymentHealth } from '@sluice/proto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EdgeContext } from '../edge-context.js';
import { requireAdmin } from './require-admin.js';

// LiteLLM's GET /health (admin only): the router sends a minimal request to every deployment and the
// answer lists them as healthy_endpoints / unhealthy_endpoints with their counts. An endpoint names the
// deployment (litellm_params.model, its public api_base, model_name) and never a key or credential.

function endpoint(deployment: DeploymentHealth, withError: boolean): Record<string, unknown> {
  return {
    model: deployment.model,
    model_name: deployment.modelGroup,
    api_base: deployment.apiBase,
    model_id: deployment.deploymentId,
    state: deployment.state,
    checked_at: deployment.checkedAtMs > 0 ? new Date(deployment.checkedAtMs).toISOString() : null,
    latency_ms: Math.round(deployment.latencyMs),
    ...(withError ? { error: deployment.error } : {}),
  };
}

export function modelHealthRoutes(app: FastifyInstance, context: EdgeContext): void {
  app.get('/health', async (request: FastifyRequest<{ Querystring: { model?: string } }>) => {
    await requireAdmin(context, request, '/health');
    const model = typeof request.query.model === 'string' ? request.query.model : '';
    const { healthy, unhealthy } = await context.clients.modelHealth(model);
    return {
      healthy_endpoints: healthy.map((deployment) => endpoint(deployment, false)),
      unhealthy_endpoints: unhealthy.map((deployment) => endpoint(deployment, true)),
      healthy_count: healthy.length,
      unhealthy_count: unhealthy.length,
    };
  });
}
