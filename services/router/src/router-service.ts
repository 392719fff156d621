import {
  type Backends,
  type GatewayConfig,
  type Logger,
  type Settings,
  type ShutdownStep,
  serveStream,
  startGrpcServer,
  startServiceHttpServer,
} from '@sluice/common';
import { RouterService, type RouterServer } from '@sluice/proto';
import { closeUpstreamClient } from './providers/shared/upstream-client.js';
import { createCompleteCall } from './routing/complete-call.js';
import { buildModelRegistry } from './routing/model-registry.js';

export interface RouterOptions {
  settings: Settings;
  config: GatewayConfig;
  logger: Logger;
  /** Embedded mode passes stand-ins; otherwise the real servers from settings. */
  backends?: Backends;
}

export interface RunningRouter {
  grpcPort: number;
  httpPort: number;
  shutdownSteps(drainTimeoutMs: number): ShutdownStep[];
}

const SECOND = 1000;

export async function startRouter(options: RouterOptions): Promise<RunningRouter> {
  const { settings, config, logger } = options;
  const registry = buildModelRegistry(config);
  const routerSettings = config.router_settings ?? {};
  const complete = createCompleteCall({
    registry,
    logger,
    dropParams: config.litellm_settings?.drop_params ?? false,
    timeoutMs: (routerSettings.timeout ?? config.litellm_settings?.request_timeout ?? 600) * SECOND,
    streamTimeoutMs: (routerSettings.stream_timeout ?? 120) * SECOND,
    idleTimeoutMs: 120 * SECOND,
  });

  const implementation: RouterServer = {
    complete: serveStream(complete, (error) => logger.debug({ err: error }, 'complete failed')),
    listModels(_call, callback) {
      callback(null, { models: registry.models() });
    },
  };
  const grpc = await startGrpcServer({
    host: settings.router.host,
    port: settings.router.port,
    services: [{ definition: RouterService, implementation }],
    logger,
  });
  const http = await startServiceHttpServer({ host: settings.router.host, port: settings.router.httpPort, ready: () => true });
  logger.info({ grpcPort: grpc.port, httpPort: http.port, models: registry.models().length }, 'router ready');

  return {
    grpcPort: grpc.port,
    httpPort: http.port,
    shutdownSteps: (drainTimeoutMs) => [
      { name: 'drain router calls', run: () => grpc.shutdown(drainTimeoutMs) },
      { name: 'close upstream connections', run: closeUpstreamClient },
      { name: 'close http', run: http.close },
    ],
  };
}
