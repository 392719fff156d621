import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import type { Environment } from '../settings.js';
import { auditConfig, auditWarnings } from './audit-config.js';
import { ConfigSchema, type GatewayConfig } from './config-schema.js';
import { inferProvider } from './infer-provider.js';

const ENV_PREFIX = 'os.environ/';
/** `os.file/PATH`: the content of a file (a mounted Kubernetes Secret), re-read on every reload. */
const FILE_PREFIX = 'os.file/';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface LoadedConfig {
  config: GatewayConfig;
  /** `os.environ/NAME` references whose variable is unset; they resolve to undefined. */
  missingEnv: string[];
  /** Start-up warnings: settings ignored, unknown keys. One line each. */
  warnings: string[];
  /** Absolute paths of the files `os.file/PATH` references read (watched for live reload). */
  files: string[];
  /** SHA-256 of the config text and every referenced file's content: a reload with the same hash changes nothing. */
  hash: string;
}

/** What reference resolution reads and records: the environment, and the files `os.file/` names. */
interface References {
  env: Environment;
  missing: Set<string>;
  /** Relative `os.file/` paths are relative to the config file's directory. */
  baseDir: string;
  /** Absolute path → content, in the order first read. */
  files: Map<string, string>;
}

/** The file's content without the trailing newline an editor or `echo` adds (a key never ends in one). */
function readReferencedFile(reference: string, references: References): string {
  const path = resolve(references.baseDir, reference.slice(FILE_PREFIX.length));
  const known = references.files.get(path);
  if (known !== undefined) return known;
  let content: string;
  try {
    content = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new ConfigError(`cannot read ${reference}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  references.files.set(path, content);
  return content;
}

/** Resolves LiteLLM's `os.environ/NAME` (and Sluice's `os.file/PATH`) string values, anywhere in the tree. */
function resolveReferences(node: unknown, references: References): unknown {
  if (typeof node === 'string') {
    if (node.startsWith(FILE_PREFIX)) return readReferencedFile(node, references);
    if (!node.startsWith(ENV_PREFIX)) return node;
    const name = node.slice(ENV_PREFIX.length);
    const value = references.env[name];
    if (value === undefined) references.missing.add(name);
    return value;
  }
  if (Array.isArray(node)) return node.map((item) => resolveReferences(item, references));
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      // `general_settings:` holding only comments is null; LiteLLM reads null as not set.
      if (value === null) continue;
      const resolved = resolveReferences(value, references);
      if (resolved !== undefined) out[key] = resolved;
    }
    return out;
  }
  return node;
}

/**
 * LiteLLM sets the top-level `environment_variables` into the environment before reading the rest, so
 * `os.environ/NAME` sees them (and they win over the process environment, as there).
 */
function withConfigEnvironment(document: unknown, env: Environment): Environment {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) return env;
  const section = (document as Record<string, unknown>).environment_variables;
  if (section === null || typeof section !== 'object' || Array.isArray(section)) return env;
  const merged: Record<string, string | undefined> = { ...env };
  for (const [name, value] of Object.entries(section)) {
    if (value === null || value === undefined) continue;
    merged[name] = typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return merged;
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
export function parseConfig(document: unknown, env: Environment, source = 'config', baseDir = process.cwd()): LoadedConfig {
  const references: References = { env: withConfigEnvironment(document, env), missing: new Set(), baseDir, files: new Map() };
  const resolved = resolveReferences(document ?? {}, references);
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
    const { model, api_base: apiBase } = entry.litellm_params;
    if (!inferProvider(model, apiBase)) {
      throw new ConfigError(
        `${source} is invalid:\n  model_list[${index}].litellm_params.model: cannot tell the provider of "${model}"; write "<provider>/${model}" or set api_base`,
      );
    }
  }
  const audit = auditConfig(resolved as Record<string, unknown>);
  if (audit.refused.length > 0) {
    throw new ConfigError(
      `${source} uses settings Sluice does not implement, and running without them would weaken security or spend control:\n  ${audit.refused.join('\n  ')}\n` +
        'Remove them, or list their paths under general_settings.sluice_ignore_unsupported to start without them.',
    );
  }
  const hash = createHash('sha256');
  for (const [path, content] of references.files) hash.update(`\0${path}\0${content}`);
  return { config, missingEnv: [...references.missing].sort(), warnings: auditWarnings(audit), files: [...references.files.keys()], hash: hash.digest('hex') };
}

/**
 * YAML as LiteLLM's Python loader reads it (YAML 1.1): `20_000` is an integer, yes/no/on/off are
 * booleans. Dates stay strings (`api_version: 2024-06-01` means the text, not a timestamp).
 */
export function parseLitellmYaml(text: string): unknown {
  return parseYaml(text, {
    version: '1.1',
    customTags: (tags) => tags.filter((tag) => typeof tag === 'string' || tag.tag !== 'tag:yaml.org,2002:timestamp'),
  });
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
    document = parseLitellmYaml(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(error as Error).message}`);
  }
  const loaded = parseConfig(document, env, `config file ${path}`, dirname(resolve(path)));
  // The file's own text counts too: a change that resolves to the same values still counts as a change.
  loaded.hash = createHash('sha256').update(text).update(loaded.hash).digest('hex');
  return loaded;
}

/** The config when no file is given: no models, no master key. */
export function emptyConfig(): GatewayConfig {
  return { model_list: [] };
}
