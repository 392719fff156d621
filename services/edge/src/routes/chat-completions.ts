import { CallType } from '@sluice/proto';
import type { FastifyInstance } from 'fastify';
import type { EdgeContext } from '../edge-context.js';
import { ChatCompletionBodySchema } from '../openai/request-schemas.js';
import { forwardingRoute } from './forwarding-route.js';

/** POST /v1/chat/completions, streaming or not. */
export function chatCompletionRoutes(app: FastifyInstance, context: EdgeContext): void {
  forwardingRoute(app, context, {
    path: '/v1/chat/completions',
    schema: ChatCompletionBodySchema,
    callType: CallType.CALL_TYPE_CHAT_COMPLETION,
    streams: true,
    callTypeName: 'chat_completion',
  });
}
