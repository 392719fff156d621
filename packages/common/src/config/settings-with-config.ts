import { redisUrlFromParts, type Settings } from '../settings.js';
import type { GatewayConfig } from './config-schema.js';

/**
 * The servers a LiteLLM config names, where the environment names none: router_settings' Redis
 * (redis_url, or redis_host / redis_port / redis_password) and general_settings.database_url. The
 * environment wins, as the Helm chart and compose files set it.
 */
export function settingsWithConfig(settings: Settings, config: GatewayConfig): Settings {
  const router = config.router_settings ?? {};
  const redisUrl =
    settings.redisUrl ?? router.redis_url ?? redisUrlFromParts({ host: router.redis_host, port: router.redis_port, password: router.redis_password });
  const databaseUrl = settings.databaseUrl ?? config.general_settings?.database_url;
  if (redisUrl === settings.redisUrl && databaseUrl === settings.databaseUrl) return settings;
  return { ...settings, redisUrl, databaseUrl };
}
