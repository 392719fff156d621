import { CallType } from '@sluice/proto';
import type { FastifyInstance } from 'fastify';
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
}
