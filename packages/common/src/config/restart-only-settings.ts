import { isDeepStrictEqual } from 'node:util';
import type { GatewayConfig } from './config-schema.js';

/**
 * Config settings a running service cannot take live: connections, listeners and background jobs made
 * once at start-up. A reload that changes one logs "needs restart" and keeps the running value, so the
 * rest of the new config still applies. (Ports and the servers the environment names never come from
 * the file at all.)
 */
export const RESTART_ONLY_SETTINGS: readonly (readonly string[])[] = [
  ['general_settings', 'database_url'],
  ['general_settings', 'master_key'],
  ['general_settings', 'max_request_size_mb'],
  ['general_settings', 'disable_admin_ui'],
  ['general_settings', 'disable_key_management'],
  ['general_settings', 'user_api_key_cache_ttl'],
  ['general_settings', 'store_prompts_in_spend_logs'],
  ['general_settings', 'alerting'],
  ['general_settings', 'alert_types'],
  ['general_settings', 'alerting_threshold'],
  ['general_settings', 'background_health_checks'],
  ['general_settings', 'health_check_interval'],
  ['general_settings', 'store_model_in_db'],
  ['router_settings', 'redis_url'],
  ['router_settings', 'redis_host'],
  ['router_settings', 'redis_port'],
  ['router_settings', 'redis_password'],
  ['litellm_settings', 'success_callback'],
  ['litellm_settings', 'failure_callback'],
  ['litellm_settings', 'callbacks'],
  ['litellm_settings', 'log_level'],
  // The edge adds its default-model hook when the app is built.
  ['litellm_settings', 'default_model'],
  // The cache's connection; whether it is on, its ttl, namespace, mode and call types apply live.
  ['litellm_settings', 'cache_params', 'type'],
  ['litellm_settings', 'cache_params', 'url'],
  ['litellm_settings', 'cache_params', 'host'],
  ['litellm_settings', 'cache_params', 'port'],
  ['litellm_settings', 'cache_params', 'password'],
  ['litellm_settings', 'cache_params', 'username'],
  ['litellm_settings', 'cache_params', 'ssl'],
  ['litellm_settings', 'cache_params', 'redis_host'],
  ['litellm_settings', 'cache_params', 'redis_port'],
  ['litellm_settings', 'cache_params', 'redis_password'],
];

type Tree = Record<string, unknown>;

function valueAt(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Tree)[key];
  }
  return node;
}

function setAt(root: Tree, path: readonly string[], value: unknown): void {
  let node = root;
  for (const key of path.slice(0, -1)) {
    const child = node[key];
    if (child === null || typeof child !== 'object') node[key] = {};
    node = node[key] as Tree;
  }
  const last = path[path.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
}

/**
 * The new config with every restart-only setting put back to its running value, and the dotted paths of
 * those that differed. `next` is a freshly parsed config and is changed in place.
 */
export function keepRestartOnlySettings(running: GatewayConfig, next: GatewayConfig): { config: GatewayConfig; needsRestart: string[] } {
  const needsRestart: string[] = [];
  for (const path of RESTART_ONLY_SETTINGS) {
    const before = valueAt(running, path);
    if (isDeepStrictEqual(before, valueAt(next, path))) continue;
    needsRestart.push(path.join('.'));
    setAt(next as unknown as Tree, path, structuredClone(before));
  }
  return { config: next, needsRestart };
}
