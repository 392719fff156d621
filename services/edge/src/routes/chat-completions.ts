import { CallType } from '@sluice/proto';
import type { FastifyInstance } from 'fastify';
import type { EdgeContext } from '../edge-context.js';
import { type ChatCompletionBody, ChatCompletionBodySchema } from '../openai/request-schemas.js';
import { forwardToRouter } from '../proxy/forward-to-router.js';

/** POST /v1/chat/completions, streaming or not. */
export function chatCompletionRoutes(app: FastifyInstance, context: EdgeContext): void {
  const options = { schema: { body: ChatCompletionBodySchema } };
  const handler = async (request: import('fastify').FastifyRequest<{ Body: ChatCompletionBody }>, reply: import('fastify').FastifyReply) => {
    const body = request.body;
    const stream = body.stream === true;
    await forwardToRouter(
      context,
      request,
      reply,
      {
        route: '/v1/chat/completions',
        callType: CallType.CALL_TYPE_CHAT_COMPLETION,
        callTypeName: 'chat_completion',
        body: body as Record<string, unknown>,
        rawBody: request.rawBody!,
        stream,
        includeUsage: stream && body.stream_options?.include_usage === true,
        estimatedPromptTokens: Math.ceil(request.rawBody!.length / 4),
      },
      body.model,
    );
  };
  app.post('/v1/chat/completions', options, handler);
  app.post('/chat/completions', options, handler);
}
