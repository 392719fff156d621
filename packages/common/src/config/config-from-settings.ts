import type { Logger } from '../logger.js';
import type { Settings } from '../settings.js';
import type { GatewayConfig } from './config-schema.js';
import { emptyConfig, loadConfigFile } from './load-config.js';

/** The config file named by the settings (or an empty one), with a warning for each unset os.environ/ name. */
export function configFromSettings(settings: Settings, logger: Logger): GatewayConfig {
  if (!settings.configPath) return emptyConfig();
  const { config, missingEnv, warnings } = loadConfigFile(settings.configPath, settings.env);
  if (missingEnv.length > 0) {
    logger.warn({ variables: missingEnv }, 'config refers to environment variables that are not set');
  }
  for (const warning of warnings) logger.warn(warning);
  return config;
}
