import { CallType } from '@sluice/proto';
import type { FastifyInstance } from 'fastify';
import type { EdgeContext } from '../edge-context.js';
import { CompletionBodySchema } from '../openai/request-schemas.js';
import { forwardingRoute } from './forwarding-route.js';

/** POST /v1/completions, streaming or not (OpenAI-compatible providers). */
export function completionRoutes(app: FastifyInstance, context: EdgeContext): void {
  forwardingRoute(app, context, {
    path: '/v1/completions',
    schema: CompletionBodySchema,
    callType: CallType.CALL_TYPE_COMPLETION,
    streams: true,
    callTypeName: 'completion',
  });
}
