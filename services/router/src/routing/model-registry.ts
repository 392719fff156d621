import { createHash } from 'node:crypto';
import { ConfigError, type GatewayConfig, inferProvider, type ModelEntry, redactUrl } from '@sluice/common';
import type { ModelInfo } from '@sluice/proto';
import type { Deployment } from '../providers/provider-adapter.js';
import { providerFor, supportedProviders } from '../providers/provider-registry.js';
import { bodyDefaultsOf } from './deployment-defaults.js';

export interface ModelRegistry {
  /** Deployments of a model group, in config order; undefined for an unknown group. */
  group(name: string): readonly Deployment[] | undefined;
  /** What /v1/models lists. */
  models(): ModelInfo[];
  deploymentIds(): string[];
  /** One line per deployment: what its litellm_params.model resolved to, and how (for the start-up log). */
  resolutions(): DeploymentResolution[];
}

export interface DeploymentResolution {
  index: number;
  modelName: string;
  model: string;
  provider: string;
  /** How the provider was found: "prefix", "model name" or "api_base". */
  source: string;
  apiBaseHost: string;
  deploymentId: string;
}

function deploymentId(entry: ModelEntry): string {
  if (entry.model_info?.id) return entry.model_info.id;
  const identity = `${entry.model_name}\n${entry.litellm_params.model}\n${entry.litellm_params.api_base ?? ''}`;
  return createHash('sha256').update(identity).digest('hex').slice(0, 16);
}

function toDeployment(entry: ModelEntry, index: number): Deployment {
  const where = `model_list[${index}]`;
  // The loader already refused a model whose provider cannot be told.
  const resolved = inferProvider(entry.litellm_params.model, entry.litellm_params.api_base)!;
  const { provider, model } = resolved;
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
    providerSource: resolved.source,
    ...(bodyDefaultsOf(entry.litellm_params) ? { bodyDefaults: bodyDefaultsOf(entry.litellm_params)! } : {}),
  };
}

interface WildcardGroup {
  pattern: RegExp;
  /** Characters outside the `*`s: the more, the more specific, and the earlier it is tried. */
  specificity: number;
  deployments: Deployment[];
}

function wildcardPattern(name: string): RegExp {
  const parts = name.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('(.+)')}$`);
}

/**
 * The deployment a wildcard serves for one requested name: `model_name: "anthropic/*"` with
 * `model: anthropic/*` sends "anthropic/claude-x" to Anthropic as "claude-x"; `"*"` with `openai/*`
 * sends any name to OpenAI as given. Each requested name is its own deployment for cooldowns.
 */
function expandWildcard(base: Deployment, requested: string, captured: string[]): Deployment {
  let index = 0;
  const model = base.model.includes('*') ? base.model.replace(/\*/g, () => captured[index++] ?? '') : base.model;
  return { ...base, id: `${base.id}:${requested}`, modelGroup: requested, model };
}

/** Requested names a wildcard has answered, kept so a deployment object is built once per name. */
const MAX_EXPANDED_NAMES = 10_000;

/** router_settings.model_group_alias, both forms, to alias → {group, hidden}. */
function aliasesOf(config: GatewayConfig): Map<string, { group: string; hidden: boolean }> {
  const aliases = new Map<string, { group: string; hidden: boolean }>();
  for (const [alias, target] of Object.entries(config.router_settings?.model_group_alias ?? {})) {
    aliases.set(alias, typeof target === 'string' ? { group: target, hidden: false } : { group: target.model, hidden: target.hidden === true });
  }
  return aliases;
}

export function buildModelRegistry(config: GatewayConfig): ModelRegistry {
  const groups = new Map<string, Deployment[]>();
  const ids = new Set<string>();
  const resolutions: DeploymentResolution[] = [];
  config.model_list.forEach((entry, index) => {
    const deployment = toDeployment(entry, index);
    // Two deployments of one model at one api_base (different keys, say) must not share cooldowns.
    if (ids.has(deployment.id)) deployment.id = `${deployment.id}-${index}`;
    ids.add(deployment.id);
    const list = groups.get(deployment.modelGroup) ?? [];
    list.push(deployment);
    groups.set(deployment.modelGroup, list);
    resolutions.push({
      index,
      modelName: entry.model_name,
      model: deployment.model,
      provider: deployment.provider,
      source: deployment.providerSource ?? 'prefix',
      apiBaseHost: deployment.apiBaseHost,
      deploymentId: deployment.id,
    });
  });
  const aliases = aliasesOf(config);
  for (const [alias, { group }] of aliases) {
    if (!groups.has(group)) {
      throw new ConfigError(`router_settings.model_group_alias.${alias}: model group "${group}" is not in model_list`);
    }
  }
  const describe = (id: string, deployments: readonly Deployment[]): ModelInfo => ({
    id,
    ownedBy: deployments[0]!.provider,
    mode: deployments[0]!.info.mode ?? 'chat',
    // Filled with live state where the admin route asks (router-service's listModels).
    deployments: [],
  });
  // Wildcard groups route names nobody listed; /v1/models lists the names the config spells out.
  const wildcards: WildcardGroup[] = [...groups.entries()]
    .filter(([name]) => name.includes('*'))
    .map(([name, deployments]) => ({ pattern: wildcardPattern(name), specificity: name.replaceAll('*', '').length, deployments }))
    .sort((a, b) => b.specificity - a.specificity);
  const expanded = new Map<string, Deployment[] | undefined>();
  const wildcardGroup = (name: string): Deployment[] | undefined => {
    if (expanded.has(name)) return expanded.get(name);
    let found: Deployment[] | undefined;
    for (const wildcard of wildcards) {
      const match = wildcard.pattern.exec(name);
      if (match) {
        found = wildcard.deployments.map((deployment) => expandWildcard(deployment, name, match.slice(1)));
        break;
      }
    }
    if (expanded.size >= MAX_EXPANDED_NAMES) expanded.clear();
    expanded.set(name, found);
    return found;
  };
  const models: ModelInfo[] = [...groups.entries()].filter(([id]) => !id.includes('*')).map(([id, deployments]) => describe(id, deployments));
  for (const [alias, { group, hidden }] of aliases) {
    if (!hidden && !groups.has(alias)) models.push(describe(alias, groups.get(group)!));
  }
  // A configured group wins over an alias of the same name, as in LiteLLM.
  const group = (name: string): Deployment[] | undefined =>
    groups.get(name) ?? (aliases.has(name) ? groups.get(aliases.get(name)!.group) : wildcards.length > 0 ? wildcardGroup(name) : undefined);
  // Every request without a model would fail; say so at start-up instead.
  const defaultModel = config.litellm_settings?.default_model;
  if (defaultModel !== undefined && !group(defaultModel)) {
    throw new ConfigError(`litellm_settings.default_model: model "${defaultModel}" is not in model_list (nor an alias or a wildcard's match)`);
  }
  return {
    group,
    models: () => models,
    resolutions: () => resolutions,
    deploymentIds: () => [...groups.values()].flat().map((deployment) => deployment.id),
  };
}
