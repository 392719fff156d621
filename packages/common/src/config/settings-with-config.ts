import { parseClusterNodes } from '../redis-cluster-settings.js';
import { redisUrlFromParts, type Settings } from '../settings.js';
import type { GatewayConfig } from './config-schema.js';

/**
 * The servers a LiteLLM config names, where the environment names none: router_settings' Redis
 * (redis_url, or redis_host / redis_port / redis_password, or a cluster's redis_startup_nodes) and
 * general_settings.database_url. The environment wins, as the Helm chart and compose files set it.
 */
export function settingsWithConfig(settings: Settings, config: GatewayConfig): Settings {
  const router = config.router_settings ?? {};
  const redisUrl =
    settings.redisUrl ?? router.redis_url ?? redisUrlFromParts({ host: router.redis_host, port: router.redis_port, password: router.redis_password });
  const databaseUrl = settings.databaseUrl ?? config.general_settings?.database_url;
  // A cluster named by the config is used only where the environment names no Redis at all.
  const nodes = settings.redisUrl || settings.redisCluster ? undefined : parseClusterNodes(router.redis_startup_nodes, 'router_settings.redis_startup_nodes');
  const redisCluster = nodes
    ? { nodes, username: undefined, password: router.redis_password ?? settings.redisParts.password, tls: false }
    : settings.redisCluster;
  if (redisUrl === settings.redisUrl && databaseUrl === settings.databaseUrl && redisCluster === settings.redisCluster) return settings;
  return { ...settings, redisUrl: redisCluster ? settings.redisUrl : redisUrl, redisCluster, databaseUrl };
}
