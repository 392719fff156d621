// The container files, checked without a Docker daemon: the Dockerfile parses and follows the image rules
// (pinned base, build without dev dependencies, tini as PID 1, a numeric non-root user), and
// docker-compose.yml starts services that exist, with variables the services read and health checks on
// the ports they listen on.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Copy, DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate as lintDockerfile } from 'dockerfile-utils';
import { describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadSettings, parseConfig, SERVICE_NODE_FLAGS } from '@sluice/common';
import { REPOSITORY_ROOT } from './helpers/helm-chart.js';

const SERVICES = ['edge', 'policy', 'router', 'accounting'] as const;
const SETTINGS_VARIABLES = new Set(
  [...readFileSync(join(REPOSITORY_ROOT, 'packages/common/src/settings.ts'), 'utf8').matchAll(/\(env, '([A-Z0-9_]+)'/g)].map(
    (match) => match[1]!,
  ),
);

function read(path: string): string {
  return readFileSync(join(REPOSITORY_ROOT, path), 'utf8');
}

describe('Dockerfile', () => {
  const text = read('Dockerfile');
  const dockerfile = DockerfileParser.parse(text);
  const instructions = dockerfile.getInstructions();
  const froms = dockerfile.getFROMs();
  const lineOf = (instruction: Instruction) => instruction.getRange().start.line;
  const finalStage = instructions.filter((instruction) => lineOf(instruction) > lineOf(froms.at(-1)!));
  const buildStage = instructions.filter(
    (instruction) => lineOf(instruction) > lineOf(froms[0]!) && lineOf(instruction) < lineOf(froms.at(-1)!),
  );
  const argumentsOf = (instruction: Instruction) => instruction.getArgumentsContent() ?? '';

  test('has no syntax errors or lint warnings', () => {
    expect(lintDockerfile(text).map((diagnostic) => diagnostic.message)).toEqual([]);
  });

  test('builds from a base image pinned to a Node 20 patch release', () => {
    const baseArgument = dockerfile.getInitialARGs().find((argument) => argument.getProperty()?.getName() === 'NODE_IMAGE');
    const base = baseArgument?.getProperty()?.getValue() ?? '';
    expect(base).toMatch(/^node:20\.\d+\.\d+-[a-z]+-slim$/);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from.getImage()).toBe('${NODE_IMAGE}');
  });

  test('installs exactly the lock file, builds, then drops dev dependencies, the launcher and the sources', () => {
    const build = buildStage.filter((instruction) => instruction.getKeyword() === 'RUN').map(argumentsOf).join('\n');
    expect(build).toContain('npm ci --ignore-scripts');
    expect(build).toContain('npx tsc -b');
    expect(build).toContain('npm prune --omit=dev');
    expect(build).toMatch(/rm -rf packages\/launcher packages\/testing/);
    expect(build).toContain('services/*/src');
  });

  test('runs the service as a numeric non-root user under tini with the V8 flags npm start uses, edge by default', () => {
    const users = finalStage.filter((instruction) => instruction.getKeyword() === 'USER').map(argumentsOf);
    expect(users.length).toBeGreaterThan(0);
    const [uid] = users.at(-1)!.split(':');
    expect(uid).toMatch(/^\d+$/);
    expect(Number(uid)).toBeGreaterThan(0);
    const entrypoint = finalStage.find((instruction) => instruction.getKeyword() === 'ENTRYPOINT');
    expect(JSON.parse(argumentsOf(entrypoint!))).toEqual(['/usr/bin/tini', '--', 'node', ...SERVICE_NODE_FLAGS]);
    const install = finalStage.filter((instruction) => instruction.getKeyword() === 'RUN').map(argumentsOf).join('\n');
    expect(install).toMatch(/apt-get install -y --no-install-recommends tini/);
    const command = JSON.parse(argumentsOf(finalStage.find((instruction) => instruction.getKeyword() === 'CMD')!));
    expect(command).toEqual(['services/edge/dist/main.js']);
    // The final stage copies built output from the build stage only, never the build context.
    const copies = dockerfile.getCOPYs().filter((copy) => lineOf(copy) > lineOf(froms.at(-1)!));
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies as Copy[]) expect(copy.getFromFlag()?.getValue()).toBe('build');
    for (const service of SERVICES) expect(existsSync(join(REPOSITORY_ROOT, `services/${service}/src/main.ts`))).toBe(true);
  });

  test('keeps dependencies, build output, git data and tests out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((line) => line.trim());
    for (const entry of ['node_modules', '**/node_modules', '**/dist', '.git', 'test']) expect(ignored).toContain(entry);
  });
});

describe('docker-compose.yml', () => {
  const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as { services: Record<string, any> };
  const healthPorts: Record<string, (settings: ReturnType<typeof loadSettings>) => number> = {
    edge: (settings) => settings.edge.port,
    policy: (settings) => settings.policy.httpPort,
    router: (settings) => settings.router.httpPort,
    accounting: (settings) => settings.accounting.httpPort,
  };

  test('brings up Postgres, Redis and NATS from pinned images, with health checks', () => {
    for (const backend of ['postgres', 'redis', 'nats']) {
      const service = compose.services[backend];
      expect(service.image).toMatch(/:\d+(\.\d+)*(-alpine)?$/);
      expect(service.healthcheck.test.length).toBeGreaterThan(1);
    }
    expect(compose.services.nats.command).toContain('-js');
  });

  test.each(SERVICES)('starts %s from the image, hardened, reading only variables the services know', (name) => {
    const service = compose.services[name];
    expect(service.command).toEqual([`services/${name}/dist/main.js`]);
    expect(service.read_only).toBe(true);
    expect(service.cap_drop).toEqual(['ALL']);
    expect(service.tmpfs).toEqual(['/tmp']);
    const [configSource, configTarget] = (service.volumes[0] as string).split(':');
    expect(service.environment.SLUICE_CONFIG).toBe(configTarget);
    const configText = read(configSource!);
    const references = new Set([...configText.matchAll(/os\.environ\/([A-Za-z0-9_]+)/g)].map((match) => match[1]!));
    for (const variable of Object.keys(service.environment)) {
      expect(SETTINGS_VARIABLES.has(variable) || references.has(variable), `${name}: ${variable}`).toBe(true);
    }
    const environment = Object.fromEntries(
      Object.entries(service.environment).map(([key, value]) => [key, String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/, '$1')]),
    );
    const settings = loadSettings(environment);
    parseConfig(parseYaml(configText), environment, configSource);
    const check = (service.healthcheck.test as string[]).join(' ');
    expect(check).toContain(`http://127.0.0.1:${healthPorts[name]!(settings)}/health/readiness`);
    // The gRPC addresses the edge dials are the compose services' names and the ports they listen on.
    if (name === 'edge') {
      for (const target of ['policy', 'router', 'accounting'] as const) {
        expect(settings[`${target}Address`]).toBe(`${target}:${settings[target].port}`);
      }
    }
  });

  test('publishes only the edge, on this machine only, after the services behind it are healthy', () => {
    const published = Object.entries(compose.services).filter(([, service]) => service.ports);
    expect(published.map(([name]) => name)).toEqual(['edge']);
    expect(compose.services.edge.ports).toEqual(['127.0.0.1:4000:4000']);
    // What is published is the API port, not the edge's metrics port.
    const settings = loadSettings(compose.services.edge.environment);
    expect(Number(compose.services.edge.ports[0].split(':').at(-1))).toBe(settings.edge.port);
    expect(settings.edge.metricsPort).not.toBe(settings.edge.port);
    for (const dependency of ['policy', 'router', 'accounting', 'postgres', 'redis', 'nats']) {
      expect(compose.services.edge.depends_on[dependency]).toEqual({ condition: 'service_healthy' });
    }
  });

  test('gives the edge and the router time to drain before they are killed', () => {
    const secondsOf = (duration: string) => Number(/^(\d+)s$/.exec(duration)?.[1]);
    const edge = compose.services.edge;
    expect(secondsOf(edge.stop_grace_period)).toBeGreaterThan(Number(edge.environment.SLUICE_DRAIN_TIMEOUT_MS) / 1000);
    const router = compose.services.router;
    expect(secondsOf(router.stop_grace_period)).toBeGreaterThan(Number(router.environment.SLUICE_SHUTDOWN_TIMEOUT_MS) / 1000);
  });
});
