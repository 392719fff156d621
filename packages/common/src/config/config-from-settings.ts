import type { Logger } from '../logger.js';
import type { Settings } from '../settings.js';
import { emptyConfig, type LoadedConfig, loadConfigFile } from './load-config.js';

/** The config file named by the settings (or an empty one), with a warning for each unset os.environ/ name. */
export function configFromSettings(settings: Settings, logger: Logger): LoadedConfig {
  if (!settings.configPath) return { config: emptyConfig(), missingEnv: [], warnings: [], files: [], hash: '' };
  const loaded = loadConfigFile(settings.configPath, settings.env);
  if (loaded.missingEnv.length > 0) {
    logger.warn({ variables: loaded.missingEnv }, 'config refers to environment variables that are not set');
  }
  for (const warning of loaded.warnings) logger.warn(warning);
  return loaded;
}
