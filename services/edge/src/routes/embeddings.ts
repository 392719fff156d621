import { CallType } from '@sluice/proto';
import type { FastifyInstance } from 'fastify';
import type { EdgeContext } from '../edge-context.js';
import { EmbeddingBodySchema } from '../openai/request-schemas.js';
import { forwardingRoute } from './forwarding-route.js';

/** POST /v1/embeddings. */
export function embeddingRoutes(app: FastifyInstance, context: EdgeContext): void {
  forwardingRoute(app, context, {
    path: '/v1/embeddings',
    schema: EmbeddingBodySchema,
    callType: CallType.CALL_TYPE_EMBEDDING,
    streams: false,
    callTypeName: 'embedding',
  });
}
