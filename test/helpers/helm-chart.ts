import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';

// Renders helm/sluice the way `helm template` does, with ../shared/tools/helm-render (Go text/template and
// the sprig functions, Helm's engine), since Helm itself cannot be installed here.

export const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CHART_DIRECTORY = join(REPOSITORY_ROOT, 'helm/sluice');
const HELM_RENDER_SOURCE = resolve(REPOSITORY_ROOT, '../shared/tools/helm-render');
const CACHE_DIRECTORY = join(REPOSITORY_ROOT, 'node_modules/.cache/sluice-helm');

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, any>;
  data?: Record<string, string>;
  [field: string]: unknown;
}

export interface RenderedObject {
  /** The template it came from, e.g. "sluice/templates/deployment.yaml". */
  source: string;
  object: KubernetesObject;
}

export interface RenderOptions {
  /** Values files, relative to the repository root or absolute, applied in order. */
  valuesFiles?: string[];
  /** Values applied last, as if from one more -f file. */
  values?: Record<string, unknown>;
  release?: string;
  namespace?: string;
  chartDirectory?: string;
}

export interface RenderOutcome {
  ok: boolean;
  stdout: string;
  stderr: string;
}

export function scratchDirectory(): string {
  const path = join(CACHE_DIRECTORY, 'scratch', randomUUID());
  mkdirSync(path, { recursive: true });
  return path;
}

/**
 * Builds helm-render once per version of its source into node_modules/.cache. Needs the Debian packages
 * golang-go, golang-github-masterminds-sprig-dev and golang-gopkg-yaml.v3-dev (.ci/run installs them).
 */
export function helmRenderBinary(): string {
  const source = readFileSync(join(HELM_RENDER_SOURCE, 'main.go'));
  const digest = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const binary = join(CACHE_DIRECTORY, `helm-render-${digest}`);
  if (existsSync(binary)) return binary;
  mkdirSync(CACHE_DIRECTORY, { recursive: true });
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.status !== 0) {
    throw new Error(
      'the chart test needs Go to build ../shared/tools/helm-render: apt-get install golang-go ' +
        'golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev (bash .ci/run does)',
    );
  }
  const partial = `${binary}.${process.pid}.partial`;
  execFileSync('go', ['build', '-o', partial, '.'], {
    cwd: HELM_RENDER_SOURCE,
    env: {
      ...process.env,
      GO111MODULE: 'off',
      GOPATH: '/usr/share/gocode',
      GOCACHE: join(CACHE_DIRECTORY, 'go-build'),
      GOFLAGS: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  execFileSync('mv', [partial, binary]);
  return binary;
}

export function renderRaw(options: RenderOptions = {}): RenderOutcome {
  const files = (options.valuesFiles ?? []).map((file) => resolve(REPOSITORY_ROOT, file));
  let scratch: string | undefined;
  if (options.values) {
    scratch = scratchDirectory();
    const file = join(scratch, 'values.yaml');
    // Strings quoted: Go's YAML reader would take an unquoted 2026-12-01 for a timestamp.
    writeFileSync(file, stringify(options.values, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' }));
    files.push(file);
  }
  const args = [options.chartDirectory ?? CHART_DIRECTORY];
  for (const file of files) args.push('-f', file);
  args.push('--name', options.release ?? 'sluice', '--namespace', options.namespace ?? 'llm');
  const result = spawnSync(helmRenderBinary(), args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  return { ok: result.status === 0, stdout: result.stdout, stderr: result.stderr };
}

/** Splits helm-render's stream into objects, each with the template it came from. */
export function parseRendered(stream: string): RenderedObject[] {
  const objects: RenderedObject[] = [];
  for (const chunk of stream.split(/^---\n(?=# Source: )/m)) {
    const source = /^# Source: (.+)$/m.exec(chunk)?.[1];
    if (!source) continue;
    for (const document of parseAllDocuments(chunk)) {
      if (document.errors.length > 0) {
        throw new Error(`${source} is not valid YAML: ${document.errors[0]!.message}`);
      }
      const object = document.toJS() as KubernetesObject | null;
      if (object) objects.push({ source, object });
    }
  }
  return objects;
}

export function render(options: RenderOptions = {}): RenderedObject[] {
  const outcome = renderRaw(options);
  if (!outcome.ok) throw new Error(`rendering the chart failed: ${outcome.stderr}`);
  return parseRendered(outcome.stdout);
}

export function readYamlFile(path: string): any {
  const documents = parseAllDocuments(readFileSync(resolve(REPOSITORY_ROOT, path), 'utf8'));
  return documents[0]?.toJS() ?? {};
}

/** Helm's merge of values files: maps merge key by key, anything else is replaced. */
export function mergeValues(target: any, source: any): any {
  if (!isPlainObject(target) || !isPlainObject(source)) return structuredClone(source);
  const merged: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(source)) {
    merged[key] = key in merged ? mergeValues(merged[key], value) : structuredClone(value);
  }
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The values Helm would give the templates for these files (chart defaults first). */
export function effectiveValues(valuesFiles: string[] = []): any {
  let values = readYamlFile(join(CHART_DIRECTORY, 'values.yaml'));
  for (const file of valuesFiles) values = mergeValues(values, readYamlFile(file));
  return values;
}
