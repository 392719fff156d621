import { GatewayError } from '@sluice/common';
import type { Decision } from '@sluice/proto';
import type { FastifyRequest } from 'fastify';
import type { EdgeContext } from '../edge-context.js';
import { authorizeRequest } from '../clients/authorize-request.js';
import { extractApiKey } from '../openai/api-key.js';
import { denial } from '../proxy/forward-to-router.js';

/** The routes the router answers for admins only (/health, /model/*): policy checks the key first. */
export async function requireAdmin(context: EdgeContext, request: FastifyRequest, route: string): Promise<Decision> {
  const apiKey = extractApiKey(request.headers, context.options.keyHeader);
  if (apiKey === '') throw new GatewayError('missing_api_key');
  const decision = await context.clients.authorize(
    authorizeRequest({ requestId: request.id, apiKey, route, adminRoute: true, checkOnly: true, traceparent: request.traceparent }),
  );
  request.decision = decision;
  if (!decision.allowed) throw denial(decision);
  if (!decision.identity?.isAdmin) throw new GatewayError('admin_only');
  return decision;
}
