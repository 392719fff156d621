import {
  type Backends,
  connectSql,
  connectUsageBus,
  type GatewayConfig,
  type Logger,
  migrate,
  type Settings,
  type ShutdownStep,
  startGrpcServer,
  startServiceHttpServer,
} from '@sluice/common';
import { AccountingService, type AccountingServer } from '@sluice/proto';
import { createBatchWriter } from './batcher.js';
import { startUsageConsumer } from './consumer.js';

export interface AccountingOptions {
  settings: Settings;
  config: GatewayConfig;
  logger: Logger;
  /** Embedded mode passes stand-ins; otherwise the real servers from settings. */
  backends?: Backends;
}

export interface RunningAccounting {
  grpcPort: number;
  httpPort: number;
  shutdownSteps(drainTimeoutMs: number): ShutdownStep[];
}

export async function startAccounting(options: AccountingOptions): Promise<RunningAccounting> {
  const { settings, logger } = options;
  const ownsBackends = !options.backends;
  const sql = options.backends?.sql ?? connectSql(settings, logger);
  await migrate(sql, logger);
  const bus = options.backends?.bus ?? (await connectUsageBus(settings, logger, 'sluice-accounting'));

  const consumer = await startUsageConsumer({
    bus,
    durable: settings.usage.accountingConsumer,
    batchSize: 1000,
    maxWaitMs: 1000,
    writeBatch: createBatchWriter(sql, logger),
    logger,
  });

  const implementation: AccountingServer = {
    spend(_call, callback) {
      const body = { error: { message: 'Not found.', type: 'invalid_request_error', param: null, code: 'not_found' } };
      callback(null, { status: 404, bodyJson: Buffer.from(JSON.stringify(body)) });
    },
  };
  const grpc = await startGrpcServer({
    host: settings.accounting.host,
    port: settings.accounting.port,
    services: [{ definition: AccountingService, implementation }],
    logger,
  });
  const http = await startServiceHttpServer({
    host: settings.accounting.host,
    port: settings.accounting.httpPort,
    ready: () => true,
  });
  logger.info({ grpcPort: grpc.port, httpPort: http.port, bus: bus.kind }, 'accounting ready');

  return {
    grpcPort: grpc.port,
    httpPort: http.port,
    shutdownSteps: (drainTimeoutMs) => [
      { name: 'finish the batch in hand', run: () => consumer.stop() },
      { name: 'drain accounting calls', run: () => grpc.shutdown(drainTimeoutMs) },
      ...(ownsBackends
        ? [
            { name: 'close usage bus', run: () => bus.close() },
            { name: 'close postgres', run: () => sql.close() },
          ]
        : []),
      { name: 'close http', run: http.close },
    ],
  };
}
