import { CallType } from '@sluice/proto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EdgeContext } from '../edge-context.js';
import { type CompletionBody, CompletionBodySchema } from '../openai/request-schemas.js';
import { forwardToRouter } from '../proxy/forward-to-router.js';

/** POST /v1/completions, streaming or not (OpenAI-compatible providers). */
export function completionRoutes(app: FastifyInstance, context: EdgeContext): void {
  const options = { schema: { body: CompletionBodySchema } };
  const handler = async (request: FastifyRequest<{ Body: CompletionBody }>, reply: FastifyReply) => {
    const body = request.body;
    const stream = body.stream === true;
    await forwardToRouter(
      context,
      request,
      reply,
      {
        route: '/v1/completions',
        callType: CallType.CALL_TYPE_COMPLETION,
        callTypeName: 'completion',
        body: body as Record<string, unknown>,
        rawBody: request.rawBody!,
        stream,
        includeUsage: stream && body.stream_options?.include_usage === true,
        estimatedPromptTokens: Math.ceil(request.rawBody!.length / 4),
      },
      body.model,
    );
  };
  app.post('/v1/completions', options, handler);
  app.post('/completions', options, handler);
}
