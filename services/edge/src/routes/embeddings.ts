import { CallType } from '@sluice/proto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EdgeContext } from '../edge-context.js';
import { type EmbeddingBody, EmbeddingBodySchema } from '../openai/request-schemas.js';
import { forwardToRouter } from '../proxy/forward-to-router.js';

/** POST /v1/embeddings. */
export function embeddingRoutes(app: FastifyInstance, context: EdgeContext): void {
  const options = { schema: { body: EmbeddingBodySchema } };
  const handler = async (request: FastifyRequest<{ Body: EmbeddingBody }>, reply: FastifyReply) => {
    const body = request.body;
    await forwardToRouter(
      context,
      request,
      reply,
      {
        route: '/v1/embeddings',
        callType: CallType.CALL_TYPE_EMBEDDING,
        callTypeName: 'embedding',
        body: body as Record<string, unknown>,
        rawBody: request.rawBody!,
        stream: false,
        includeUsage: false,
        estimatedPromptTokens: Math.ceil(request.rawBody!.length / 4),
      },
      body.model,
    );
  };
  app.post('/v1/embeddings', options, handler);
  app.post('/embeddings', options, handler);
}
