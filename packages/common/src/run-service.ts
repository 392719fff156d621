import { ConfigError } from './config/load-config.js';
import { configFromSettings } from './config/config-from-settings.js';
import type { GatewayConfig } from './config/config-schema.js';
import { createLogger, type Logger } from './logger.js';
import { loadSettings, type Settings } from './settings.js';
import { exitOnSignals, type ShutdownStep } from './shutdown.js';

export interface StartedService {
  shutdownSteps(drainTimeoutMs: number): ShutdownStep[];
}

export type ServiceStarter = (options: { settings: Settings; config: GatewayConfig; logger: Logger }) => Promise<StartedService>;

/**
 * The whole of a service's main.ts: settings from the environment, the config file, the logger, start,
 * and a clean exit on SIGTERM. A bad config file ends the process with a readable message and exit 1.
 */
export async function runService(name: string, start: ServiceStarter, drainTimeoutMs?: (settings: Settings) => number): Promise<void> {
  let settings: Settings;
  try {
    settings = loadSettings();
  } catch (error) {
    process.stderr.write(`sluice ${name}: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const logger = createLogger({ service: name, level: settings.logLevel });
  try {
    const config = configFromSettings(settings, logger);
    const service = await start({ settings, config, logger });
    const drain = drainTimeoutMs?.(settings) ?? settings.shutdownTimeoutMs;
    exitOnSignals(logger, service.shutdownSteps(drain), drain + settings.shutdownTimeoutMs);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`sluice ${name}: ${error.message}\n`);
    } else {
      logger.fatal({ err: error }, `${name} failed to start`);
    }
    logger.flush?.();
    process.exit(1);
  }
}
