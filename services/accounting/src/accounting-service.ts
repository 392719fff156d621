import { createRequire } from 'node:module';
import {
  type Backends,
  connectSql,
  connectUsageBus,
  type GatewayConfig,
  type Logger,
  instrumentSql,
  migrate,
  Readiness,
  redisConfigured,
  registerConsumerLag,
  type Settings,
  type ShutdownStep,
  startGrpcServer,
  internalAuthFromSettings,
  startServiceHttpServer,
  tracerFor,
} from '@sluice/common';
import { AccountingService, type AccountingServer } from '@sluice/proto';
import { createBatchWriter } from './batcher.js';
import { startUsageConsumer } from './consumer.js';
import { createSpendApi } from './reports/spend-api.js';
import { createBullmqTraceQueue } from './sinks/langfuse/bullmq-trace-queue.js';
import { createTraceExporter } from './sinks/langfuse/export-traces.js';
import { createLangfuseClient } from './sinks/langfuse/langfuse-client.js';
import { langfuseExportConfig } from './sinks/langfuse/langfuse-export-config.js';
import { createMemoryTraceQueue } from './sinks/langfuse/memory-trace-queue.js';
import { type OutboxRelay, startOutboxRelay } from './sinks/langfuse/outbox-relay.js';
import type { TraceQueue } from './sinks/langfuse/trace-queue.js';
import { AccountingMetrics } from './observability/ledger-observer.js';
import { startBudgetAlerts } from './alerts/budget-alerts.js';
import { startLedgerMaintenance } from './ledger/ledger-maintenance.js';

const DATABASE_PROBE_MS = 5_000;
const SERVICE_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

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
  /**
   * Live reload: what accounting reads from the config (callbacks, alerting, the master key, prompt
   * storage) is restart-only, so a reload only validates the file and reports what needs a restart.
   */
  reload(config: GatewayConfig): Promise<void>;
}

export async function startAccounting(options: AccountingOptions): Promise<RunningAccounting> {
  const { settings, config, logger } = options;
  // Refuses to start without the internal token before anything else is set up.
  const auth = internalAuthFromSettings(settings);
  const langfuse = langfuseExportConfig(config, settings.langfuse);
  const ownsBackends = !options.backends;
  const metrics = new AccountingMetrics(tracerFor('sluice-accounting'), settings.usage.subject);
  const rawSql = options.backends?.sql ?? connectSql(settings, logger);
  const sql = instrumentSql(rawSql, metrics.registry);
  await migrate(sql, logger);
  // Partitions ahead and retention (every replica runs it; an advisory lock lets one work at a time).
  const maintenance = await startLedgerMaintenance({
    sql,
    logger,
    registry: metrics.registry,
    retentionPeriod: config.general_settings?.maximum_spend_logs_retention_period,
    retentionInterval: config.general_settings?.maximum_spend_logs_retention_interval,
    redeliveryWindowMs: settings.usage.maxAgeMs,
  });
  const bus = options.backends?.bus ?? (await connectUsageBus(settings, logger, 'sluice-accounting'));

  // Langfuse: the ledger's transaction queues each new request in trace_outbox; the relay hands them to
  // the export queue (BullMQ on Redis, or in-process when embedded), whose worker sends them.
  let traceQueue: TraceQueue | undefined;
  let relay: OutboxRelay | undefined;
  if (langfuse) {
    const exportTraces = createTraceExporter(
      sql,
      createLangfuseClient(langfuse.settings),
      { messages: langfuse.messages, serviceVersion: SERVICE_VERSION },
      logger,
    );
    if (options.backends?.embedded || !redisConfigured(settings)) {
      if (!options.backends?.embedded) logger.warn('no Redis is configured: Langfuse export retries run in this process');
      traceQueue = createMemoryTraceQueue(exportTraces, langfuse.settings, logger);
    } else {
      traceQueue = createBullmqTraceQueue({
        settings,
        langfuse: langfuse.settings,
        exportTraces,
        logger,
      });
    }
    relay = startOutboxRelay({
      sql,
      queue: traceQueue,
      batchSize: langfuse.settings.batchSize,
      requeueAfterMs: langfuse.settings.requeueAfterMs,
      logger,
    });
  }

  const alerts = startBudgetAlerts({
    sql,
    config,
    settings: settings.alerting,
    logger,
    onThreshold: (entityType, threshold) => metrics.budgetThreshold(entityType, threshold),
  });

  const consumer = await startUsageConsumer({
    bus,
    durable: settings.usage.accountingConsumer,
    batchSize: settings.ledger.batchSize,
    maxWaitMs: settings.ledger.batchWaitMs,
    concurrency: settings.ledger.concurrency,
    writeBatch: createBatchWriter(sql, logger, {
      maxDeliver: settings.usage.maxDeliver,
      storeMessages: config.general_settings?.store_prompts_in_spend_logs === true,
      exportTraces: langfuse !== undefined,
      exportMessages: langfuse?.messages ?? false,
      onTracesQueued: () => relay?.kick(),
      observer: metrics,
      onAggregated: (deltas) => alerts.committed(deltas),
    }),
    logger,
  });
  registerConsumerLag(metrics.registry, bus, settings.usage.accountingConsumer);

  // Ready while Postgres answers (the spend API needs it; the consumer waits for it by itself), checked
  // in the background so a probe never waits on a query.
  let databaseUp = true;
  const probe = setInterval(() => {
    sql.query('SELECT 1').then(
      () => {
        databaseUp = true;
      },
      () => {
        databaseUp = false;
      },
    );
  }, DATABASE_PROBE_MS);
  probe.unref();
  const readiness = new Readiness([() => databaseUp]);

  const spend = createSpendApi({ sql, keyPepper: settings.keyPepper, logger, masterKey: config.general_settings?.master_key });
  const implementation: AccountingServer = {
    spend(call, callback) {
      void spend(call.request).then((result) => callback(null, result));
    },
  };
  const grpc = await startGrpcServer({
    host: settings.accounting.host,
    port: settings.accounting.port,
    services: [{ definition: AccountingService, implementation }],
    logger,
    auth,
    ready: () => readiness.ready(),
  });
  const http = await startServiceHttpServer({
    host: settings.accounting.host,
    port: settings.accounting.httpPort,
    ready: () => readiness.ready(),
    metrics: () => metrics.registry.render(),
  });
  logger.info(
    { grpcPort: grpc.port, httpPort: http.port, bus: bus.kind, langfuse: traceQueue?.kind ?? 'off' },
    'accounting ready',
  );

  return {
    grpcPort: grpc.port,
    httpPort: http.port,
    reload: async () => undefined,
    shutdownSteps: (drainTimeoutMs) => [
      {
        name: 'finish the batch in hand',
        run: () => {
          readiness.drain();
          clearInterval(probe);
          return consumer.stop(drainTimeoutMs);
        },
      },
      { name: 'drain accounting calls', run: () => grpc.shutdown(drainTimeoutMs) },
      { name: 'stop ledger maintenance', run: () => maintenance.stop() },
      { name: 'stop budget alerts', run: () => alerts.stop() },
      ...(relay ? [{ name: 'stop the trace relay', run: () => relay.stop() }] : []),
      ...(traceQueue ? [{ name: 'close the trace queue', run: () => traceQueue.close() }] : []),
      ...(ownsBackends
        ? [
            { name: 'close usage bus', run: () => bus.close() },
            { name: 'close postgres', run: () => rawSql.close() },
          ]
        : []),
      { name: 'close http', run: http.close },
    ],
  };
}
