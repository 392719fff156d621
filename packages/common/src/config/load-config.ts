import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import type { Environment } from '../settings.js';
import { ConfigSchema, type GatewayConfig } from './config-schema.js';

const ENV_PREFIX = 'os.environ/';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface LoadedConfig {
  config: GatewayConfig;
  /** `os.environ/NAME` references whose variable is unset; they resolve to undefined. */
  missingEnv: string[];
}

/** Resolves LiteLLM's `os.environ/NAME` string values from the environment, anywhere in the tree. */
function resolveEnvReferences(node: unknown, env: Environment, missing: Set<string>): unknown {
  if (typeof node === 'string') {
    if (!node.startsWith(ENV_PREFIX)) return node;
    const name = node.slice(ENV_PREFIX.length);
    const value = env[name];
    if (value === undefined) missing.add(name);
    return value;
  }
  if (Array.isArray(node)) return node.map((item) => resolveEnvReferences(item, env, missing));
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      const resolved = resolveEnvReferences(value, env, missing);
      if (resolved !== undefined) out[key] = resolved;
    }
    return out;
  }
  return node;
}

/** "/model_list/0/litellm_params/model" → "model_list[0].litellm_params.model" */
function readablePath(pointer: string): string {
  const parts = pointer.split('/').slice(1);
  let out = '';
  for (const part of parts) {
    const key = part.replaceAll('~1', '/').replaceAll('~0', '~');
    out += /^\d+$/.test(key) ? `[${key}]` : out === '' ? key : `.${key}`;
  }
  return out === '' ? '(top level)' : out;
}

/** Validates an already-parsed config document; throws ConfigError naming the first bad fields. */
export function parseConfig(document: unknown, env: Environment, source = 'config'): LoadedConfig {
  const missing = new Set<string>();
  const resolved = resolveEnvReferences(document ?? {}, env, missing);
  if (resolved === null || typeof resolved !== 'object' || Array.isArray(resolved)) {
    throw new ConfigError(`${source}: the top level must be a mapping (model_list, general_settings, ...)`);
  }
  // Numbers and booleans often arrive as strings through os.environ/...; convert before checking.
  const candidate = Value.Convert(ConfigSchema, Value.Default(ConfigSchema, structuredClone(resolved)));
  if (!Value.Check(ConfigSchema, candidate)) {
    const problems = [...Value.Errors(ConfigSchema, candidate)]
      // A union reports every branch; the first error per path is the useful one.
      .filter((error, index, all) => all.findIndex((other) => other.path === error.path) === index)
      .slice(0, 5)
      .map((error) => `${readablePath(error.path)}: ${error.message}`);
    throw new ConfigError(`${source} is invalid:\n  ${problems.join('\n  ')}`);
  }
  const config = candidate as GatewayConfig;
  for (const [index, entry] of config.model_list.entries()) {
    if (!entry.litellm_params.model.includes('/')) {
      throw new ConfigError(
        `${source} is invalid:\n  model_list[${index}].litellm_params.model: expected "<provider>/<model>", got "${entry.litellm_params.model}"`,
      );
    }
  }
  return { config, missingEnv: [...missing].sort() };
}

export function loadConfigFile(path: string, env: Environment): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(error as Error).message}`);
  }
  return parseConfig(document, env, `config file ${path}`);
}

/** The config when no file is given: no models, no master key. */
export function emptyConfig(): GatewayConfig {
  return { model_list: [] };
}
