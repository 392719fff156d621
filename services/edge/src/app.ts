import { type Logger, uuidv7 } from '@sluice/common';
import Fastify, { type FastifyInstance } from 'fastify';
import type { EdgeContext } from './edge-context.js';
import { errorHandler } from './plugins/error-handler.js';
import { jsonBody } from './plugins/json-body.js';
import { requestContext } from './plugins/request-context.js';
import { requestObservation } from './plugins/request-observation.js';
import { adminRoutes } from './routes/admin-routes.js';
import { chatCompletionRoutes } from './routes/chat-completions.js';
import { completionRoutes } from './routes/completions.js';
import { embeddingRoutes } from './routes/embeddings.js';
import { healthRoutes } from './routes/health.js';
import { modelHealthRoutes } from './routes/model-health.js';
import { modelRoutes } from './routes/models.js';
import { spendRoutes } from './routes/spend.js';

/** The edge's HTTP application, without listening: server.ts listens, tests inject. */
export function buildApp(context: EdgeContext, logger: Logger): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: context.options.bodyLimitBytes,
    genReqId: () => uuidv7(),
    requestIdHeader: false,
    return503OnClosing: true,
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
  healthRoutes(app, context);
  modelHealthRoutes(app, context);
  modelRoutes(app, context);
  chatCompletionRoutes(app, context);
  completionRoutes(app, context);
  embeddingRoutes(app, context);
  spendRoutes(app, context);
  adminRoutes(app, context);
  return app;
}
