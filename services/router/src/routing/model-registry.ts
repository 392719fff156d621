import { createHash } from 'node:crypto';
import { ConfigError, type GatewayConfig, type ModelEntry, redactUrl } from '@sluice/common';
import type { ModelInfo } from '@sluice/proto';
import type { Deployment } from '../providers/provider-adapter.js';
import { providerFor, supportedProviders } from '../providers/provider-registry.js';

export interface ModelRegistry {
  /** Deployments of a model group, in config order; undefined for an unknown group. */
  group(name: string): readonly Deployment[] | undefined;
  /** What /v1/models lists. */
  models(): ModelInfo[];
  deploymentIds(): string[];
}

function deploymentId(entry: ModelEntry): string {
  if (entry.model_info?.id) return entry.model_info.id;
  const identity = `${entry.model_name}\n${entry.litellm_params.model}\n${entry.litellm_params.api_base ?? ''}`;
  return createHash('sha256').update(identity).digest('hex').slice(0, 16);
}

function toDeployment(entry: ModelEntry, index: number): Deployment {
  const where = `model_list[${index}]`;
  const full = entry.litellm_params.model;
  const slash = full.indexOf('/');
  const provider = full.slice(0, slash);
  const model = full.slice(slash + 1);
  const known = providerFor(provider);
  if (!known) {
    throw new ConfigError(
      `${where}.litellm_params.model: provider "${provider}" is not supported (supported: ${supportedProviders().join(', ')})`,
    );
  }
  const apiBase = entry.litellm_params.api_base ?? known.defaultApiBase(entry.litellm_params);
  if (!apiBase) throw new ConfigError(`${where}.litellm_params.api_base: required for provider "${provider}"`);
  let url: URL;
  try {
    url = new URL(apiBase);
  } catch {
    throw new ConfigError(`${where}.litellm_params.api_base: "${redactUrl(apiBase)}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${where}.litellm_params.api_base: only http and https URLs are allowed`);
  }
  return {
    id: deploymentId(entry),
    modelGroup: entry.model_name,
    provider,
    model,
    apiBase,
    apiBaseHost: url.host,
    apiKey: entry.litellm_params.api_key,
    params: entry.litellm_params,
    info: entry.model_info ?? {},
  };
}

export function buildModelRegistry(config: GatewayConfig): ModelRegistry {
  const groups = new Map<string, Deployment[]>();
  const ids = new Set<string>();
  config.model_list.forEach((entry, index) => {
    const deployment = toDeployment(entry, index);
    // Two deployments of one model at one api_base (different keys, say) must not share cooldowns.
    if (ids.has(deployment.id)) deployment.id = `${deployment.id}-${index}`;
    ids.add(deployment.id);
    const list = groups.get(deployment.modelGroup) ?? [];
    list.push(deployment);
    groups.set(deployment.modelGroup, list);
  });
  const models: ModelInfo[] = [...groups.entries()].map(([id, deployments]) => ({
    id,
    ownedBy: deployments[0]!.provider,
    mode: deployments[0]!.info.mode ?? 'chat',
    // Filled with live state where the admin route asks (router-service's listModels).
    deployments: [],
  }));
  return {
    group: (name) => groups.get(name),
    models: () => models,
    deploymentIds: () => [...groups.values()].flat().map((deployment) => deployment.id),
  };
}
