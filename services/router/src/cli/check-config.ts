import { ConfigError, type Environment, loadConfigFile } from '@sluice/common';
import { readCacheSettings } from '../cache/cache-settings.js';
import { buildModelRegistry } from '../routing/model-registry.js';
import { readRoutingSettings } from '../routing/routing-settings.js';

export interface ConfigCheck {
  /** False where start-up would refuse the file. */
  ok: boolean;
  /** What start-up would log: each deployment's resolution, then every warning. */
  lines: string[];
  /** Why start-up would refuse, when it would. */
  error?: string;
}

/**
 * Loads a config file the way the services do at start-up (the loader every service runs, then the
 * router's model registry, which knows the providers) and says what start-up would say.
 */
export function checkConfig(path: string, env: Environment): ConfigCheck {
  const lines: string[] = [];
  try {
    const { config, missingEnv, warnings } = loadConfigFile(path, env);
    const registry = buildModelRegistry(config);
    readRoutingSettings(config);
    for (const line of registry.resolutions()) {
      const how = line.source === 'prefix' ? 'from its prefix' : `inferred from its ${line.source}`;
      lines.push(`model_list[${line.index}] "${line.modelName}": ${line.provider} ${line.model} at ${line.apiBaseHost} (provider ${how})`);
    }
    if (missingEnv.length > 0) lines.push(`warning: environment variables not set: ${missingEnv.join(', ')}`);
    for (const warning of warnings) lines.push(`warning: ${warning}`);
    const cache = readCacheSettings(config);
    if (cache.kind === 'unsupported') lines.push(`warning: cache_params.type "${cache.type}" is not supported (use redis or local); responses are not cached`);
    return { ok: true, lines };
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, lines, error: error.message };
    throw error;
  }
}
