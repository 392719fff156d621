import { GatewayError } from '@sluice/common';
import { CallType } from '@sluice/proto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CountTokensBodySchema, MessagesBodySchema } from '../anthropic/messages-schemas.js';
import { estimateMessagesTokens } from '../anthropic/estimate-messages-tokens.js';
import { authorizeRequest } from '../clients/authorize-request.js';
import type { EdgeContext } from '../edge-context.js';
import { extractApiKey } from '../openai/api-key.js';
import { denial } from '../proxy/forward-to-router.js';
import { ANTHROPIC_WIRE } from '../proxy/inbound-wire.js';
import { forwardingRoute } from './forwarding-route.js';

// Anthropic's client headers that only an Anthropic deployment reads; other providers never see them.
const FORWARDED_HEADERS = ['anthropic-version', 'anthropic-beta'];

/** The Anthropic headers of a request, lower-case names, repeated headers joined as HTTP allows. */
export function anthropicClientHeaders(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = request.headers[name];
    const joined = Array.isArray(value) ? value.join(',') : value;
    if (joined) out[name] = joined;
  }
  return out;
}

/** POST /v1/messages (Anthropic Messages, streaming or not) and /v1/messages/count_tokens. */
export function anthropicMessagesRoutes(app: FastifyInstance, context: EdgeContext): void {
  forwardingRoute(app, context, {
    path: '/v1/messages',
    schema: MessagesBodySchema,
    callType: CallType.CALL_TYPE_ANTHROPIC_MESSAGES,
    callTypeName: 'anthropic_messages',
    streams: true,
    wire: ANTHROPIC_WIRE,
    clientHeaders: anthropicClientHeaders,
  });

  // An estimate made here, as LiteLLM makes it for providers without a counting endpoint: no provider
  // call, nothing spent, so the key is checked but no limit is charged.
  const countTokens = async (request: FastifyRequest<{ Body: Record<string, unknown> & { model: string } }>) => {
    const apiKey = extractApiKey(request.headers, context.options.keyHeader);
    if (apiKey === '') throw new GatewayError('missing_api_key');
    const decision = await context.clients.authorize(
      authorizeRequest({ requestId: request.id, apiKey, route: '/v1/messages/count_tokens', model: request.body.model, checkOnly: true, traceparent: request.traceparent }),
    );
    request.decision = decision;
    if (!decision.allowed) throw denial(decision);
    if (decision.allowedModels.length > 0 && !decision.allowedModels.includes(request.body.model)) throw new GatewayError('model_not_allowed');
    return { input_tokens: estimateMessagesTokens(request.body) };
  };
  const options = { schema: { body: CountTokensBodySchema }, config: { errorFormat: 'anthropic' as const } };
  app.post('/v1/messages/count_tokens', options, countTokens);
  app.post('/messages/count_tokens', options, countTokens);
}
