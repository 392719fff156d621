import { GatewayError, type Logger, uuidv7 } from '@sluice/common';
import Fastify, { type FastifyInstance } from 'fastify';
import type { EdgeContext } from './edge-context.js';
import { clientErrorHandler, frameworkErrors } from './plugins/client-errors.js';
import { errorHandler } from './plugins/error-handler.js';
import { jsonBody } from './plugins/json-body.js';
import { requestContext } from './plugins/request-context.js';
import { requestObservation } from './plugins/request-observation.js';
import { adminConsoleRoutes } from './routes/admin-console.js';
import { adminRoutes } from './routes/admin-routes.js';
import { chatCompletionRoutes } from './routes/chat-completions.js';
import { anthropicMessagesRoutes } from './routes/anthropic-messages.js';
import { responsesRoutes } from './routes/responses.js';
import { completionRoutes } from './routes/completions.js';
import { embeddingRoutes } from './routes/embeddings.js';
import { healthRoutes } from './routes/health.js';
import { modelHealthRoutes } from './routes/model-health.js';
import { modelInfoRoutes } from './routes/model-info.js';
import { modelManagementRoutes } from './routes/model-management.js';
import { modelRoutes } from './routes/models.js';
import { spendRoutes } from './routes/spend.js';

/** The edge's HTTP application, without listening: server.ts listens, tests inject. */
export function buildApp(context: EdgeContext, logger: Logger): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: context.options.bodyLimitBytes,
    genReqId: () => uuidv7(),
    requestIdHeader: false,
    // Fastify's own 503 while closing has Fastify's body; the hook below answers OpenAI's instead.
    return503OnClosing: false,
    clientErrorHandler,
    frameworkErrors,
    forceCloseConnections: false,
    keepAliveTimeout: 65_000,
    ajv: {
      // A wrong type is the client's mistake to hear about, not something to guess around.
      customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false },
    },
  });
  requestContext(app);
  requestObservation(app, context);
  jsonBody(app, context.options.bodyLimitBytes);
  errorHandler(app, logger);
  app.addHook('onRequest', (_request, reply, done) => {
    if (!context.state.draining) return done();
    reply.header('connection', 'close');
    done(new GatewayError('shutting_down'));
  });
  healthRoutes(app, context);
  modelHealthRoutes(app, context);
  modelRoutes(app, context);
  chatCompletionRoutes(app, context);
  completionRoutes(app, context);
  embeddingRoutes(app, context);
  anthropicMessagesRoutes(app, context);
  responsesRoutes(app, context);
  spendRoutes(app, context);
  modelInfoRoutes(app, context);
  modelManagementRoutes(app, context);
  adminRoutes(app, context);
  if (context.options.adminConsoleRoot !== undefined) adminConsoleRoutes(app, context.options.adminConsoleRoot);
  return app;
}
