import type { TSchema } from '@sinclair/typebox';
import type { CallType } from '@sluice/proto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EdgeContext } from '../edge-context.js';
import { forwardToRouter } from '../proxy/forward-to-router.js';
import type { InboundWire } from '../proxy/inbound-wire.js';

export interface ForwardingRoute {
  /** The /v1 path; the same route also answers without the prefix, as OpenAI clients expect. */
  path: `/v1/${string}`;
  schema: TSchema;
  callType: CallType;
  /** As recorded in the ledger: chat_completion, completion, embedding. */
  callTypeName: string;
  /** Whether the endpoint can answer as a stream (embeddings cannot, whatever the body says). */
  streams: boolean;
  /** The client's format when it is not OpenAI's (errors in its shape, its end of stream). */
  wire?: InboundWire;
  /** Client headers the router may pass on to a provider of the same format. */
  clientHeaders?: (request: FastifyRequest) => Record<string, string>;
}

interface ForwardedBody {
  model: string;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
}

/** litellm_settings.default_model for a body without a model (absent, null or ""). */
function withDefaultModel(model: string) {
  return (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    const body = request.body as Record<string, unknown> | null | undefined;
    if (body && typeof body === 'object' && !Array.isArray(body) && (body.model === undefined || body.model === null || body.model === '')) {
      body.model = model;
      // The router reads the bytes: they say the same as the body policy and the usage event see.
      request.rawBody = Buffer.from(JSON.stringify(body));
    }
    done();
  };
}

/** A route whose body is validated against `schema` and sent to the router as it came. */
export function forwardingRoute(app: FastifyInstance, context: EdgeContext, route: ForwardingRoute): void {
  const handler = async (request: FastifyRequest<{ Body: ForwardedBody }>, reply: FastifyReply) => {
    const body = request.body;
    const stream = route.streams && body.stream === true;
    await forwardToRouter(
      context,
      request,
      reply,
      {
        route: route.path,
        callType: route.callType,
        callTypeName: route.callTypeName,
        body: body as unknown as Record<string, unknown>,
        rawBody: request.rawBody!,
        stream,
        includeUsage: stream && body.stream_options?.include_usage === true,
        estimatedPromptTokens: Math.ceil(request.rawBody!.length / 4),
        ...(route.wire ? { wire: route.wire } : {}),
        ...(route.clientHeaders ? { clientHeaders: route.clientHeaders(request) } : {}),
      },
      body.model,
    );
  };
  const defaultModel = context.options.defaultModel;
  const options = {
    schema: { body: route.schema },
    config: { errorFormat: route.wire?.errorFormat ?? 'openai' },
    // Before validation, so the body is then checked (and the key's model access decided) as if the
    // client had named the default model itself.
    ...(defaultModel ? { preValidation: withDefaultModel(defaultModel) } : {}),
  };
  app.post<{ Body: ForwardedBody }>(route.path, options, handler);
  app.post<{ Body: ForwardedBody }>(route.path.slice('/v1'.length), options, handler);
}
