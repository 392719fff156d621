import { startAccounting } from '@sluice/accounting';
import {
  type Backends,
  configFromSettings,
  configuredLogger,
  settingsWithConfig,
  connectSql,
  createMemoryUsageBus,
  type Logger,
  startLiveReload,
  runShutdown,
  type Settings,
  shutdownTelemetry,
  startTelemetry,
} from '@sluice/common';
import { startEdge } from '@sluice/edge';
import { startPolicy } from '@sluice/policy';
import { startRouter } from '@sluice/router';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { claimDataDir } from './data-dir-lock.js';
import { createPgliteSql } from './pglite-sql.js';

/** The PGlite directory, created if missing; undefined keeps the database in memory. */
function dataDirectory(dataDir: string | undefined): string | undefined {
  if (!dataDir) return undefined;
  const path = resolve(dataDir);
  mkdirSync(path, { recursive: true });
  return path;
}

/**
 * All four services in this one process, talking gRPC over loopback (completions excepted: the edge calls the
 * router's code directly), on in-process stand-ins:
 * PGlite (or DATABASE_URL when set), an in-memory usage bus, and in-memory counters and cooldowns.
 */
export async function runEmbedded(environmentSettings: Settings, launcherLogger: Logger): Promise<string> {
  // One SDK for the process; each service still reports under its own service.name.
  startTelemetry({ serviceName: 'sluice', settings: environmentSettings.telemetry });
  const loaded = configFromSettings(environmentSettings, launcherLogger);
  const config = loaded.config;
  const baseSettings = settingsWithConfig(environmentSettings, config);
  const logger = configuredLogger(launcherLogger, baseSettings, config);
  const dataDir = baseSettings.databaseUrl ? undefined : dataDirectory(baseSettings.dataDir);
  const releaseDataDir = dataDir ? claimDataDir(dataDir) : () => {};
  const sql = baseSettings.databaseUrl ? connectSql(baseSettings, logger) : await createPgliteSql(dataDir);
  const backends: Backends = { sql, bus: createMemoryUsageBus(logger), embedded: true };
  // Internal services take any free port; only the edge's port is the user's choice.
  const settings: Settings = {
    ...baseSettings,
    edge: { ...baseSettings.edge, metricsPort: 0 },
    policy: { ...baseSettings.policy, port: 0, httpPort: 0 },
    router: { ...baseSettings.router, port: 0, httpPort: 0 },
    accounting: { ...baseSettings.accounting, port: 0, httpPort: 0 },
  };
  const child = (service: string) => logger.child({ service });
  const policy = await startPolicy({ settings, config, logger: child('policy'), backends });
  const router = await startRouter({ settings, config, logger: child('router'), backends });
  const accounting = await startAccounting({ settings, config, logger: child('accounting'), backends });
  const edge = await startEdge({
    settings: {
      ...settings,
      policyAddress: `127.0.0.1:${policy.grpcPort}`,
      routerAddress: `127.0.0.1:${router.grpcPort}`,
      accountingAddress: `127.0.0.1:${accounting.grpcPort}`,
    },
    config,
    logger: child('edge'),
    backends,
    // Completions call the router's code directly, as in the edge-with-router shape.
    inProcessComplete: router.complete,
  });

  // Live reload: the router first (it checks the most: providers, aliases), then the others.
  const stopReload = startLiveReload(baseSettings, logger, loaded, async (next) => {
    await router.reload(next);
    await policy.reload(next);
    await edge.reload(next);
    await accounting.reload(next);
  });
  const steps = [
    { name: 'stop config reload', run: async () => stopReload() },
    ...edge.shutdownSteps(settings.edge.drainTimeoutMs),
    ...router.shutdownSteps(settings.shutdownTimeoutMs),
    ...accounting.shutdownSteps(settings.shutdownTimeoutMs),
    ...policy.shutdownSteps(settings.shutdownTimeoutMs),
    { name: 'close usage bus', run: () => backends.bus!.close() },
    { name: 'close database', run: () => sql.close() },
    { name: 'release data directory', run: async () => releaseDataDir() },
    { name: 'flush traces', run: shutdownTelemetry },
  ];
  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(1);
    stopping = true;
    void runShutdown(logger, steps, settings.edge.drainTimeoutMs + 2 * settings.shutdownTimeoutMs).then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return `http://${settings.edge.host}:${edge.port}`;
}
