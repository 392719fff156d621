import { ConfigError } from './config/load-config.js';
import { configFromSettings } from './config/config-from-settings.js';
import { settingsWithConfig } from './config/settings-with-config.js';
import type { GatewayConfig } from './config/config-schema.js';
import { listenFailureMessage } from './listen-failure.js';
import { createLogger, type Logger } from './logger.js';
import { configuredLogger } from './logger-settings.js';
import { loadSettings, type Settings } from './settings.js';
import { exitOnSignals, type ShutdownStep } from './shutdown.js';
import { shutdownTelemetry } from './telemetry/tracing.js';

export interface StartedService {
  shutdownSteps(drainTimeoutMs: number): ShutdownStep[];
  /** What the service re-reads from the config file on SIGHUP (policy: the client keys). */
  reload?(config: GatewayConfig): Promise<void>;
}

export type ServiceStarter = (options: { settings: Settings; config: GatewayConfig; logger: Logger }) => Promise<StartedService>;

/** Budget of the last step: spans still queued for the OTLP endpoint. */
const TRACE_FLUSH_MS = 2_000;

/**
 * The whole of a service's main.ts: settings from the environment, the config file, the logger, start,
 * and a clean exit on SIGTERM. A bad config file ends the process with a readable message and exit 1.
 * (Tracing is started before this, by main.ts, before the service's modules load.)
 */
export async function runService(name: string, start: ServiceStarter, drainTimeoutMs?: (settings: Settings) => number): Promise<void> {
  let settings: Settings;
  try {
    settings = loadSettings();
  } catch (error) {
    process.stderr.write(`sluice ${name}: ${(error as Error).message}\n`);
    process.exit(1);
  }
  let logger = createLogger({ service: name, level: settings.logLevel ?? 'info' });
  try {
    const config = configFromSettings(settings, logger);
    settings = settingsWithConfig(settings, config);
    logger = configuredLogger(logger, settings, config);
    const service = await start({ settings, config, logger });
    const drain = drainTimeoutMs?.(settings) ?? settings.shutdownTimeoutMs;
    const steps = [...service.shutdownSteps(drain), { name: 'flush traces', run: shutdownTelemetry }];
    exitOnSignals(logger, steps, drain + settings.shutdownTimeoutMs + TRACE_FLUSH_MS);
    if (service.reload) reloadOnHangup(settings, logger, service.reload.bind(service));
  } catch (error) {
    const listenFailure = listenFailureMessage(error);
    if (error instanceof ConfigError) {
      process.stderr.write(`sluice ${name}: ${error.message}\n`);
    } else if (listenFailure) {
      process.stderr.write(`sluice ${name}: ${listenFailure}\n`);
    } else {
      logger.fatal({ err: error }, `${name} failed to start`);
    }
    logger.flush?.();
    process.exit(1);
  }
}

/** SIGHUP re-reads the config file; a file that no longer parses is reported and the old config kept. */
export function reloadOnHangup(settings: Settings, logger: Logger, reload: (config: GatewayConfig) => Promise<void>): void {
  process.on('SIGHUP', () => {
    let config: GatewayConfig;
    try {
      config = configFromSettings(settings, logger);
    } catch (error) {
      logger.error({ err: error instanceof ConfigError ? error.message : error }, 'SIGHUP: cannot reload the config file; nothing changed');
      return;
    }
    logger.info('SIGHUP: reloading the config file');
    void reload(config);
  });
}
