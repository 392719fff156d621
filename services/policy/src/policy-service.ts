import {
  type Backends,
  type GatewayConfig,
  type Logger,
  type Settings,
  type ShutdownStep,
  startGrpcServer,
  startServiceHttpServer,
  toGrpcError,
} from '@sluice/common';
import { PolicyService, type PolicyServer } from '@sluice/proto';
import { createAuthorize } from './decide/authorize.js';

export interface PolicyOptions {
  settings: Settings;
  config: GatewayConfig;
  logger: Logger;
  /** Embedded mode passes stand-ins; otherwise the real servers from settings. */
  backends?: Backends;
}

export interface RunningPolicy {
  grpcPort: number;
  httpPort: number;
  shutdownSteps(drainTimeoutMs: number): ShutdownStep[];
}

export async function startPolicy(options: PolicyOptions): Promise<RunningPolicy> {
  const { settings, config, logger } = options;
  const authorize = createAuthorize({
    masterKey: config.general_settings?.master_key,
    keyPepper: settings.keyPepper,
  });
  if (!config.general_settings?.master_key) {
    logger.warn('general_settings.master_key is not set: no request will be authorized');
  }

  const implementation: PolicyServer = {
    authorize(call, callback) {
      authorize(call.request).then(
        (decision) => callback(null, decision),
        (error: unknown) => callback(toGrpcError(error)),
      );
    },
    admin(_call, callback) {
      const body = { error: { message: 'Not found.', type: 'invalid_request_error', param: null, code: 'not_found' } };
      callback(null, { status: 404, bodyJson: Buffer.from(JSON.stringify(body)) });
    },
  };
  const grpc = await startGrpcServer({
    host: settings.policy.host,
    port: settings.policy.port,
    services: [{ definition: PolicyService, implementation }],
    logger,
  });
  const http = await startServiceHttpServer({ host: settings.policy.host, port: settings.policy.httpPort, ready: () => true });
  logger.info({ grpcPort: grpc.port, httpPort: http.port }, 'policy ready');
  return {
    grpcPort: grpc.port,
    httpPort: http.port,
    shutdownSteps: (drainTimeoutMs) => [
      { name: 'drain policy calls', run: () => grpc.shutdown(drainTimeoutMs) },
      { name: 'close http', run: http.close },
    ],
  };
}
