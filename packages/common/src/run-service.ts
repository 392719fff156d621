import { ConfigError } from './config/load-config.js';
import { configFromSettings } from './config/config-from-settings.js';
import { settingsWithConfig } from './config/settings-with-config.js';
import type { GatewayConfig } from './config/config-schema.js';
import { type ApplyConfig, startConfigReloader } from './config/config-reloader.js';
import type { LoadedConfig } from './config/load-config.js';
import { listenFailureMessage } from './listen-failure.js';
import { createLogger, type Logger } from './logger.js';
import { configuredLogger } from './logger-settings.js';
import { loadSettings, type Settings } from './settings.js';
import { exitOnSignals, type ShutdownStep } from './shutdown.js';
import { shutdownTelemetry } from './telemetry/tracing.js';

export interface StartedService {
  shutdownSteps(drainTimeoutMs: number): ShutdownStep[];
  /**
   * Takes a new config live (file change or SIGHUP): everything is built and checked first, then swapped
   * in at once; a throw refuses the config and leaves the running one in place.
   */
  reload(config: GatewayConfig): Promise<void>;
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
    const loaded = configFromSettings(settings, logger);
    const config = loaded.config;
    settings = settingsWithConfig(settings, config);
    logger = configuredLogger(logger, settings, config);
    const service = await start({ settings, config, logger });
    const drain = drainTimeoutMs?.(settings) ?? settings.shutdownTimeoutMs;
    const stopReload = startLiveReload(settings, logger, loaded, (next) => service.reload(next));
    const steps = [{ name: 'stop config reload', run: async () => stopReload() }, ...service.shutdownSteps(drain), { name: 'flush traces', run: shutdownTelemetry }];
    exitOnSignals(logger, steps, drain + settings.shutdownTimeoutMs + TRACE_FLUSH_MS);
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

/**
 * Live reload: the config file (and every os.file/ it names) is watched, and SIGHUP re-reads it even when
 * unchanged (policy then re-syncs general_settings.client_keys with the database). Returns the stop.
 */
export function startLiveReload(settings: Settings, logger: Logger, initial: LoadedConfig, apply: ApplyConfig): () => void {
  if (!settings.configPath) {
    const ignore = () => logger.info('SIGHUP: no config file (SLUICE_CONFIG) to reload');
    process.on('SIGHUP', ignore);
    return () => process.off('SIGHUP', ignore);
  }
  const reloader = startConfigReloader({ settings, logger, initial, apply });
  const onHangup = () => {
    logger.info('SIGHUP: reloading the config file');
    void reloader.reload('SIGHUP', true);
  };
  process.on('SIGHUP', onHangup);
  return () => {
    process.off('SIGHUP', onHangup);
    reloader.close();
  };
}
