// The Helm chart, checked without Helm or a cluster: every template rendered with the engine Helm uses
// (../shared/tools/helm-render: Go text/template + sprig), every object validated against the Kubernetes
// API schemas, and the production practices asserted on what comes out: probes, hardening, rollouts that
// never cut a request, scaling objects per service, network isolation, no secret in a ConfigMap.
import { cpSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, test } from 'vitest';
import { Document, isScalar, parse as parseYaml, visit } from 'yaml';
import { loadSettings, parseConfig } from '@sluice/common';
import { EDGE_WITH_ROUTER_SCRIPT } from '@sluice/testing';
import {
  CHART_DIRECTORY,
  effectiveValues,
  helmRenderBinary,
  type KubernetesObject,
  mergeValues,
  REPOSITORY_ROOT,
  render,
  renderRaw,
  type RenderedObject,
  scratchDirectory,
} from './helpers/helm-chart.js';
import { validateWithDeclarations, validateWithModels } from './helpers/kubernetes-schemas.js';

const SERVICES = ['edge', 'policy', 'router', 'accounting'] as const;
const GRPC_SERVICES = ['policy', 'router', 'accounting'] as const;
type ServiceName = (typeof SERVICES)[number];

const PRODUCTION = 'helm/sluice/ci/production-values.yaml';
const SCENARIOS: Array<{ name: string; files: string[] }> = [
  { name: 'default values', files: [] },
  { name: 'ci/production-values.yaml', files: [PRODUCTION] },
  { name: 'ci/keda-values.yaml', files: ['helm/sluice/ci/keda-values.yaml'] },
  { name: 'ci/existing-configmap-values.yaml', files: ['helm/sluice/ci/existing-configmap-values.yaml'] },
];

const METADATA_ADDRESS = '169.254.169.254';

// Variables the services read: what packages/common/src/settings.ts asks the environment for.
const SETTINGS_VARIABLES = new Set(
  [...readFileSync(join(REPOSITORY_ROOT, 'packages/common/src/settings.ts'), 'utf8').matchAll(/\(env, '([A-Z0-9_]+)'/g)].map(
    (match) => match[1]!,
  ),
);

// ---------------------------------------------------------------------------------------------------------
// Reading rendered objects

function ofKind(objects: RenderedObject[], kind: string): KubernetesObject[] {
  return objects.filter((rendered) => rendered.object.kind === kind).map((rendered) => rendered.object);
}

function component(object: KubernetesObject): string | undefined {
  return object.metadata.labels?.['app.kubernetes.io/component'];
}

function forService(objects: RenderedObject[], kind: string, service: ServiceName): KubernetesObject[] {
  return ofKind(objects, kind).filter((object) => component(object) === service);
}

function deploymentOf(objects: RenderedObject[], service: ServiceName): KubernetesObject {
  const found = forService(objects, 'Deployment', service);
  expect(found, `Deployment of ${service}`).toHaveLength(1);
  return found[0]!;
}

function containerOf(deployment: KubernetesObject): any {
  const containers = deployment.spec!.template.spec.containers as any[];
  expect(containers).toHaveLength(1);
  return containers[0];
}

interface EnvEntry {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
}

function envOf(deployment: KubernetesObject): EnvEntry[] {
  return containerOf(deployment).env as EnvEntry[];
}

/** The container's environment as the process would see it, with a stand-in for each secret. */
function processEnvironment(deployment: KubernetesObject): Record<string, string> {
  const stand_ins: Record<string, string> = {
    DATABASE_URL: 'postgres://sluice:secret@postgres.example:5432/sluice',
    REDIS_URL: 'rediss://:secret@redis.example:6380',
    NATS_URL: 'nats://nats.example:4222',
  };
  const environment: Record<string, string> = {};
  for (const entry of envOf(deployment)) {
    environment[entry.name] = entry.value ?? stand_ins[entry.name] ?? `stand-in-for-${entry.valueFrom?.secretKeyRef?.key}`;
  }
  return environment;
}

function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

function seconds(milliseconds: string | undefined): number {
  expect(milliseconds, 'a duration variable').toMatch(/^\d+$/);
  return Number(milliseconds) / 1000;
}

/** The longest request the config allows, in seconds (what no rollout may cut). */
function longestRequestSeconds(objects: RenderedObject[], values: any): number {
  const configMap = ofKind(objects, 'ConfigMap')[0];
  const candidates = [values.timeouts.requestSeconds as number];
  if (configMap) {
    const config = parseYaml(configMap.data!['config.yaml']!) as any;
    candidates.push(config.router_settings?.timeout ?? 600, config.litellm_settings?.request_timeout ?? 0);
    for (const entry of config.model_list ?? []) candidates.push(entry.litellm_params?.timeout ?? 0);
  }
  return Math.max(...candidates.filter((value) => typeof value === 'number'));
}

function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((total, part) => total * 256 + Number(part), 0);
}

function cidrContains(cidr: string, address: string): boolean {
  const [base, bits] = cidr.split('/');
  if (!base!.includes('.')) return false;
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(ipv4ToNumber(base!) / size) * size;
  const value = ipv4ToNumber(address);
  return value >= start && value < start + size;
}

function portsOf(rule: any): number[] {
  return (rule.ports ?? []).map((port: any) => port.port);
}

/** The container's ports by name. */
function containerPorts(deployment: KubernetesObject): Record<string, number> {
  return Object.fromEntries((containerOf(deployment).ports as any[]).map((port) => [port.name, port.containerPort]));
}

/** The container port a Service port (by name) sends to. */
function containerPortBehind(objects: RenderedObject[], serviceObject: KubernetesObject, portName: string): number | undefined {
  const servicePort = (serviceObject.spec!.ports as any[]).find((port) => port.name === portName);
  if (!servicePort) return undefined;
  const deployment = deploymentOf(objects, component(serviceObject) as ServiceName);
  const target = servicePort.targetPort;
  return typeof target === 'number' ? target : containerPorts(deployment)[target];
}

/**
 * The edge's Services: the public one keeps its http port as configured; the metrics port is on a ClusterIP
 * Service only (the edge's own when it is ClusterIP, else one of its own), so neither a load balancer nor a
 * node port publishes it. Returns the Service that carries the metrics port.
 */
function expectEdgeMetricsInsideTheCluster(objects: RenderedObject[], values: any): KubernetesObject {
  const services = forService(objects, 'Service', 'edge');
  const portNames = (serviceObject: KubernetesObject) => (serviceObject.spec!.ports as any[]).map((port) => port.name);
  const [publicService, ...others] = services.filter((serviceObject) => portNames(serviceObject).includes('http'));
  expect(others).toHaveLength(0);
  expect(publicService!.spec!.type).toBe(values.edge.service.type);
  expect((publicService!.spec!.ports as any[]).find((port) => port.name === 'http')).toEqual({
    name: 'http',
    port: values.edge.service.port,
    targetPort: 'http',
    protocol: 'TCP',
    appProtocol: 'http',
  });
  expect(containerPortBehind(objects, publicService!, 'http')).toBe(values.edge.port);
  const carrying = services.filter((serviceObject) => portNames(serviceObject).includes('metrics'));
  expect(carrying).toHaveLength(1);
  const metricsService = carrying[0]!;
  expect(metricsService.spec!.type).toBe('ClusterIP');
  if (values.edge.service.type === 'ClusterIP') {
    expect(metricsService).toBe(publicService);
    expect(services).toHaveLength(1);
  } else {
    expect(portNames(publicService!)).toEqual(['http']);
    expect(portNames(metricsService)).toEqual(['metrics']);
  }
  expect((metricsService.spec!.ports as any[]).find((port) => port.name === 'metrics')).toMatchObject({ port: values.edge.metricsPort, targetPort: 'metrics' });
  expect(containerPortBehind(objects, metricsService, 'metrics')).toBe(values.edge.metricsPort);
  expect(matches(metricsService.spec!.selector, deploymentOf(objects, 'edge').spec!.template.metadata.labels)).toBe(true);
  return metricsService;
}

/** The port each service serves /metrics on: the edge's own metrics port, the health port of the others. */
function metricsPortOf(values: any, service: ServiceName): number {
  return service === 'edge' ? values.edge.metricsPort : values[service].httpPort;
}

// ---------------------------------------------------------------------------------------------------------

beforeAll(() => {
  helmRenderBinary();
}, 120_000);

test('every example values file under helm/sluice/ci is rendered by this test', () => {
  const files = readdirSync(join(CHART_DIRECTORY, 'ci')).map((file) => `helm/sluice/ci/${file}`);
  expect(files.sort()).toEqual(SCENARIOS.flatMap((scenario) => scenario.files).sort());
});

test('the schema checks catch an unknown field and a wrong type (so a clean result means something)', async () => {
  const objects = render();
  const deployment = objects.find((rendered) => rendered.object.kind === 'Deployment')!;
  const broken = structuredClone(deployment);
  broken.object.spec!.replicas = 'two';
  broken.object.spec!.template.spec.containers[0].readinessProbe.httpGet.pathh = '/health/readiness';
  const fromModels = await validateWithModels([broken]);
  const fromDeclarations = validateWithDeclarations([broken]);
  expect(fromModels.map((problem) => problem.message).join('\n')).toContain('replicas must be integer');
  expect(fromDeclarations.map((problem) => problem.message).join('\n')).toContain('pathh');
  expect(fromDeclarations.map((problem) => problem.message).join('\n')).toContain("Type 'string' is not assignable to type 'number'");
});

describe.each(SCENARIOS)('chart rendered with $name', ({ files }) => {
  let objects: RenderedObject[];
  let values: any;

  beforeAll(() => {
    objects = render({ valuesFiles: files });
    values = effectiveValues(files);
  });

  test('every object is valid against the Kubernetes API schemas', async () => {
    expect(objects.length).toBeGreaterThan(15);
    expect(await validateWithModels(objects)).toEqual([]);
    expect(validateWithDeclarations(objects)).toEqual([]);
  });

  test('every object is labelled with the release, named within limits and in the release namespace', () => {
    for (const { object } of objects) {
      expect(object.metadata.name.length, object.metadata.name).toBeLessThanOrEqual(63);
      expect(object.metadata.namespace).toBe('llm');
      expect(object.metadata.labels?.['app.kubernetes.io/instance']).toBe('sluice');
      expect(object.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('Helm');
    }
    const names = objects.map(({ object }) => `${object.kind}/${object.metadata.name}`);
    expect(new Set(names).size).toBe(names.length);
  });

  test('each service has a Deployment, a Service, a ServiceAccount, a PodDisruptionBudget and its autoscaler', () => {
    for (const service of SERVICES) {
      const settings = values[service];
      const deployment = deploymentOf(objects, service);
      expect(forService(objects, 'Service', service)).toHaveLength(1);
      const podSpec = deployment.spec!.template.spec;
      if (settings.serviceAccount.create) {
        const [account] = forService(objects, 'ServiceAccount', service);
        expect(account?.metadata.name).toBe(podSpec.serviceAccountName);
        expect(account?.automountServiceAccountToken).toBe(false);
      } else {
        expect(forService(objects, 'ServiceAccount', service)).toHaveLength(0);
        expect(podSpec.serviceAccountName).toBe(settings.serviceAccount.name);
      }
      const budgets = forService(objects, 'PodDisruptionBudget', service);
      if (settings.pdb.enabled) {
        expect(budgets).toHaveLength(1);
        expect(matches(budgets[0]!.spec!.selector.matchLabels, deployment.spec!.template.metadata.labels)).toBe(true);
      } else {
        expect(budgets).toHaveLength(0);
      }
      const autoscalers = forService(objects, 'HorizontalPodAutoscaler', service);
      const scaledObjects = forService(objects, 'ScaledObject', service);
      if (settings.keda.enabled) {
        expect(autoscalers).toHaveLength(0);
        expect(scaledObjects).toHaveLength(1);
        const scaled = scaledObjects[0]!.spec!;
        expect(scaled.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment.metadata.name });
        expect([scaled.minReplicaCount, scaled.maxReplicaCount]).toEqual([settings.autoscaling.minReplicas, settings.autoscaling.maxReplicas]);
        expect(scaled.triggers.length).toBeGreaterThan(0);
        expect(deployment.spec!.replicas).toBeUndefined();
      } else if (settings.autoscaling.enabled) {
        expect(scaledObjects).toHaveLength(0);
        expect(autoscalers).toHaveLength(1);
        const hpa = autoscalers[0]!.spec!;
        expect(hpa.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
        expect([hpa.minReplicas, hpa.maxReplicas]).toEqual([settings.autoscaling.minReplicas, settings.autoscaling.maxReplicas]);
        const targets = Object.fromEntries(hpa.metrics.map((metric: any) => [metric.resource.name, metric.resource.target]));
        expect(targets.cpu).toEqual({ type: 'Utilization', averageUtilization: settings.autoscaling.targetCPUUtilizationPercentage });
        expect(targets.memory).toEqual({ type: 'Utilization', averageUtilization: settings.autoscaling.targetMemoryUtilizationPercentage });
        // The HPA owns the replica count; a fixed one would fight it on every upgrade.
        expect(deployment.spec!.replicas).toBeUndefined();
        expect(containerOf(deployment).resources.requests).toMatchObject({ cpu: expect.anything(), memory: expect.anything() });
      } else {
        expect(autoscalers).toHaveLength(0);
        expect(scaledObjects).toHaveLength(0);
        expect(deployment.spec!.replicas).toBe(settings.replicas);
      }
    }
  });

  test('every container has startup, liveness and readiness probes on the right ports and paths', () => {
    for (const service of SERVICES) {
      const container = containerOf(deploymentOf(objects, service));
      const ports = Object.fromEntries((container.ports as any[]).map((port) => [port.name, port.containerPort]));
      expect(ports.http, `${service} http port`).toBeTypeOf('number');
      for (const probe of [container.startupProbe, container.livenessProbe]) {
        expect(probe.httpGet).toEqual({ path: '/health/liveliness', port: 'http' });
      }
      expect(container.startupProbe.periodSeconds * container.startupProbe.failureThreshold).toBeGreaterThanOrEqual(60);
      const readiness = container.readinessProbe;
      if (service !== 'edge' && values[service].readinessProbe === 'grpc') {
        expect(readiness.grpc).toEqual({ port: ports.grpc });
        expect(readiness.httpGet).toBeUndefined();
      } else {
        expect(readiness.httpGet).toEqual({ path: '/health/readiness', port: 'http' });
      }
      if (service === 'edge') {
        expect(ports.http).toBe(values.edge.port);
        // Metrics on a port of their own, never the API port.
        expect(ports.metrics).toBe(values.edge.metricsPort);
        expect(ports.metrics).not.toBe(ports.http);
      } else {
        expect([ports.grpc, ports.http]).toEqual([values[service].grpcPort, values[service].httpPort]);
        expect(ports.metrics).toBeUndefined();
      }
    }
  });

  test('every pod is hardened: non-root, read-only root, no capabilities, no escalation, RuntimeDefault seccomp', () => {
    for (const service of SERVICES) {
      const podSpec = deploymentOf(objects, service).spec!.template.spec;
      expect(podSpec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(podSpec.securityContext.runAsUser).toBeGreaterThan(0);
      expect(podSpec.automountServiceAccountToken).toBe(false);
      expect(podSpec.enableServiceLinks).toBe(false);
      expect(podSpec.hostNetwork ?? false).toBe(false);
      const container = containerOf(deploymentOf(objects, service));
      expect(container.securityContext).toMatchObject({
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(container.securityContext.capabilities.add).toBeUndefined();
      // Writable paths are emptyDirs with a size limit, mounted where needed: /tmp only.
      const volumes = podSpec.volumes as any[];
      expect(volumes.every((volume) => volume.hostPath === undefined)).toBe(true);
      const emptyDirs = volumes.filter((volume) => volume.emptyDir);
      expect(emptyDirs.map((volume) => volume.name)).toEqual(['tmp']);
      expect(emptyDirs[0].emptyDir.sizeLimit).toBeTruthy();
      const mounts = container.volumeMounts as any[];
      expect(mounts.find((mount) => mount.name === 'tmp')?.mountPath).toBe('/tmp');
      expect(mounts.filter((mount) => mount.readOnly !== true).map((mount) => mount.name)).toEqual(['tmp']);
    }
  });

  test('rollouts and shutdowns never cut a request: surge without unavailability, preStop sleep, long enough grace', () => {
    const longest = longestRequestSeconds(objects, values);
    const preStop = values.timeouts.preStopSleepSeconds;
    expect(preStop).toBeGreaterThan(0);
    for (const service of SERVICES) {
      const deployment = deploymentOf(objects, service);
      expect(deployment.spec!.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
      const container = containerOf(deployment);
      expect(container.lifecycle.preStop).toEqual({ sleep: { seconds: preStop } });
      const environment = processEnvironment(deployment);
      const grace = deployment.spec!.template.spec.terminationGracePeriodSeconds as number;
      const shutdown = seconds(environment.SLUICE_SHUTDOWN_TIMEOUT_MS);
      if (service === 'edge') {
        const drain = seconds(environment.SLUICE_DRAIN_TIMEOUT_MS);
        expect(drain, 'the edge drains as long as the longest request').toBeGreaterThanOrEqual(longest);
        expect(grace).toBeGreaterThan(preStop + drain + shutdown);
      } else {
        expect(grace).toBeGreaterThan(preStop + shutdown);
      }
      if (service === 'router') expect(shutdown, 'the router drains as long as the longest request').toBeGreaterThanOrEqual(longest);
      if (service === 'edge' || service === 'router') expect(grace).toBeGreaterThan(longest);
    }
  });

  test('pods spread across zones and avoid sharing a node with their own replicas', () => {
    for (const service of SERVICES) {
      const template = deploymentOf(objects, service).spec!.template;
      const spread = template.spec.topologySpreadConstraints as any[];
      const zone = spread.find((constraint) => constraint.topologyKey === 'topology.kubernetes.io/zone');
      expect(zone?.whenUnsatisfiable).toBe(values.scheduling.zoneSpread);
      expect(matches(zone.labelSelector.matchLabels, template.metadata.labels)).toBe(true);
      const antiAffinity = template.spec.affinity.podAntiAffinity;
      const term = antiAffinity.preferredDuringSchedulingIgnoredDuringExecution?.[0].podAffinityTerm ??
        antiAffinity.requiredDuringSchedulingIgnoredDuringExecution?.[0];
      expect(term.topologyKey).toBe('kubernetes.io/hostname');
      expect(matches(term.labelSelector.matchLabels, template.metadata.labels)).toBe(true);
    }
  });

  test('the environment is what the services read: settings parse, listeners bind all interfaces, addresses hit the Services', () => {
    const declared = new Set<string>([
      ...Object.keys(values.env ?? {}),
      ...SERVICES.flatMap((service) => [
        ...Object.keys(values[service].env ?? {}),
        ...(values[service].secretEnv as any[]).map((entry) => (typeof entry === 'string' ? entry : entry.name)),
      ]),
    ]);
    for (const service of SERVICES) {
      const deployment = deploymentOf(objects, service);
      const env = envOf(deployment);
      const names = env.map((entry) => entry.name);
      expect(new Set(names).size, `${service}: no variable twice`).toBe(names.length);
      for (const name of names) {
        if (!declared.has(name)) expect(SETTINGS_VARIABLES, `${service} sets ${name}`).toContain(name);
      }
      const generated = ofKind(objects, 'Secret').find((secret) => component(secret) === 'internal-token');
      const tokenSecret = values.internalAuth.existingSecret || generated?.metadata.name;
      expect(Boolean(generated), 'the chart makes the token Secret unless one is named').toBe(values.internalAuth.enabled && !values.internalAuth.existingSecret);
      for (const entry of env) {
        if (!entry.valueFrom) continue;
        // The internal token has a Secret of its own (the chart's, unless the user names one); the rest come from secrets.existingSecret.
        if (entry.name === 'SLUICE_INTERNAL_TOKEN') expect(entry.valueFrom.secretKeyRef).toEqual({ name: tokenSecret, key: values.internalAuth.key });
        else expect(entry.valueFrom.secretKeyRef?.name).toBe(values.secrets.existingSecret);
      }
      // Every service carries the internal token (or, with internalAuth off, says so explicitly).
      if (values.internalAuth.enabled) expect(names).toContain('SLUICE_INTERNAL_TOKEN');
      else expect(env.find((entry) => entry.name === 'SLUICE_INTERNAL_AUTH')?.value).toBe('none');
      const environment = processEnvironment(deployment);
      const settings = loadSettings(environment);
      const backends: string[] = values[service].backends;
      expect('DATABASE_URL' in environment).toBe(backends.includes('postgres'));
      expect('REDIS_URL' in environment).toBe(backends.includes('redis'));
      expect('NATS_URL' in environment).toBe(backends.includes('nats'));
      for (const secretVariable of ['DATABASE_URL', 'REDIS_URL']) {
        const entry = env.find((candidate) => candidate.name === secretVariable);
        if (entry) expect(entry.value, `${secretVariable} only from the Secret`).toBeUndefined();
      }
      const ports = Object.fromEntries((containerOf(deployment).ports as any[]).map((port) => [port.name, port.containerPort]));
      if (service === 'edge') {
        expect(settings.edge).toMatchObject({ host: '0.0.0.0', port: ports.http, metricsPort: ports.metrics });
        // edge.adminUi: false turns the console off; the default leaves the variable out.
        expect(settings.disableAdminUi).toBe(values.edge.adminUi === false);
        expect(names.includes('DISABLE_ADMIN_UI')).toBe(values.edge.adminUi === false);
        for (const target of GRPC_SERVICES) {
          const address = settings[`${target}Address`];
          const [host, port] = address.split(':');
          const [targetService] = forService(objects, 'Service', target);
          expect(host).toBe(targetService!.metadata.name);
          const servicePort = (targetService!.spec!.ports as any[]).find((candidate) => candidate.port === Number(port));
          expect(servicePort?.targetPort, `${address} is the gRPC port of ${target}`).toBe('grpc');
          expect(matches(targetService!.spec!.selector, deploymentOf(objects, target).spec!.template.metadata.labels)).toBe(true);
        }
      } else {
        expect(settings[service]).toMatchObject({ host: '0.0.0.0', port: ports.grpc, httpPort: ports.http });
      }
      // SLUICE_CONFIG names a file of the mounted ConfigMap.
      const mount = (containerOf(deployment).volumeMounts as any[]).find((candidate) => candidate.name === 'config');
      const volume = (deployment.spec!.template.spec.volumes as any[]).find((candidate) => candidate.name === 'config');
      expect(settings.configPath).toBe(`${mount.mountPath}/${volume.configMap.items[0].path}`);
      const expectedConfigMap = values.existingConfigMap.name || ofKind(objects, 'ConfigMap')[0]?.metadata.name;
      expect(volume.configMap.name).toBe(expectedConfigMap);
      if (values.existingConfigMap.name) expect(volume.configMap.items[0].key).toBe(values.existingConfigMap.key);
    }
  });

  test('each Service selects its pods and targets ports the container names', () => {
    for (const service of SERVICES) {
      const deployment = deploymentOf(objects, service);
      const names = (containerOf(deployment).ports as any[]).map((port) => port.name);
      for (const serviceObject of forService(objects, 'Service', service)) {
        expect(matches(serviceObject.spec!.selector, deployment.spec!.template.metadata.labels)).toBe(true);
        for (const port of serviceObject.spec!.ports as any[]) expect(names).toContain(port.targetPort);
      }
    }
  });

  test("the edge's metrics port is a ClusterIP port named metrics, beside the unchanged public http port", () => {
    expectEdgeMetricsInsideTheCluster(objects, values);
  });

  test('the config ConfigMap holds the values config, loads in the services, and carries no secret', () => {
    const configMaps = ofKind(objects, 'ConfigMap');
    if (values.existingConfigMap.name) {
      expect(configMaps).toHaveLength(0);
      return;
    }
    expect(configMaps).toHaveLength(1);
    const text = configMaps[0]!.data!['config.yaml']!;
    const document = parseYaml(text);
    expect(document).toEqual(values.config);
    const references = [...text.matchAll(/os\.environ\/([A-Za-z0-9_]+)/g)].map((match) => match[1]!);
    expect(references).toContain('LITELLM_MASTER_KEY');
    const environment = Object.fromEntries(references.map((name) => [name, `value-of-${name}`]));
    const loaded = parseConfig(document, environment, 'rendered config');
    expect(loaded.missingEnv).toEqual([]);
    expect(loaded.config.general_settings?.master_key).toBe('value-of-LITELLM_MASTER_KEY');
    visit(new Document(document), {
      Pair(_key, pair) {
        const key = isScalar(pair.key) ? String(pair.key.value) : '';
        const value = isScalar(pair.value) ? pair.value.value : undefined;
        if (typeof value !== 'string') return;
        if (/(^|_)(key|password|secret|token|credentials)$/i.test(key)) expect(value, key).toMatch(/^os\.environ\/[A-Z0-9_]+$/);
        expect(value, key).not.toMatch(/^[a-z+]+:\/\/[^/@\s]*:[^/@\s]+@/i);
        expect(value, key).not.toMatch(/^sk-[A-Za-z0-9_-]{8,}/);
      },
    });
    // Every variable the config refers to reaches at least one service.
    const delivered = new Set(SERVICES.flatMap((service) => envOf(deploymentOf(objects, service)).map((entry) => entry.name)));
    for (const name of references) expect(delivered, `os.environ/${name}`).toContain(name);
  });

  test('NetworkPolicies deny by default and open only the paths the services use', () => {
    const policies = ofKind(objects, 'NetworkPolicy');
    if (!values.networkPolicy.enabled) {
      expect(policies).toHaveLength(0);
      return;
    }
    const deny = policies.find((policy) => !component(policy) || component(policy) === 'network-policy')!;
    expect(deny.spec).toMatchObject({ policyTypes: ['Ingress', 'Egress'] });
    expect(deny.spec!.ingress).toBeUndefined();
    expect(deny.spec!.egress).toBeUndefined();
    for (const service of SERVICES) {
      const labels = deploymentOf(objects, service).spec!.template.metadata.labels;
      expect(matches(deny.spec!.podSelector.matchLabels ?? {}, labels), `default deny covers ${service}`).toBe(true);
    }
    const edgeLabels = deploymentOf(objects, 'edge').spec!.template.metadata.labels;
    const metricsFrom = values.networkPolicy.metricsFrom;
    for (const service of SERVICES) {
      const [policy] = policies.filter((candidate) => component(candidate) === service);
      expect(policy, `NetworkPolicy of ${service}`).toBeDefined();
      const ports = containerPorts(deploymentOf(objects, service));
      expect(policy!.spec!.policyTypes).toEqual(['Ingress', 'Egress']);
      // Ingress: clients reach the edge; only the edge reaches the others; Prometheus reaches /metrics.
      for (const rule of policy!.spec!.ingress as any[]) {
        const fromEdge = rule.from?.length === 1 && rule.from[0].podSelector && matches(rule.from[0].podSelector.matchLabels, edgeLabels);
        if (fromEdge) {
          expect(service).not.toBe('edge');
          expect(portsOf(rule)).toEqual([ports.grpc]);
        } else if (service === 'edge' && JSON.stringify(rule.from ?? []) === JSON.stringify(values.networkPolicy.ingressFrom)) {
          // An empty ingressFrom lets clients in from anywhere, to the API port only.
          expect(portsOf(rule)).toEqual([ports.http]);
        } else {
          // Prometheus reaches the metrics port only: on the edge that is not the API port.
          expect(rule.from).toEqual(metricsFrom);
          expect(portsOf(rule)).toEqual([metricsPortOf(values, service)]);
        }
      }
      if (service === 'edge') {
        // Only metricsFrom reaches the edge's metrics port (nothing when it is empty); clients never do.
        const metricsRules = (policy!.spec!.ingress as any[]).filter((rule) => portsOf(rule).includes(ports.metrics!));
        expect(metricsRules.map((rule) => rule.from)).toEqual(metricsFrom?.length ? [metricsFrom] : []);
      }
      if (service !== 'edge') {
        const grpcRules = (policy!.spec!.ingress as any[]).filter((rule) => portsOf(rule).includes(ports.grpc!));
        expect(grpcRules).toHaveLength(1);
      }
      // Egress: DNS, the backends the service uses, the services the edge calls, HTTPS for providers.
      const egress = policy!.spec!.egress as any[];
      const allowedPorts = new Set<number>([...values.networkPolicy.dns.ports]);
      for (const backend of values[service].backends) for (const port of values.networkPolicy[backend].ports) allowedPorts.add(port);
      if (values.networkPolicy.providers.services.includes(service)) for (const port of values.networkPolicy.providers.ports) allowedPorts.add(port);
      for (const rule of values.networkPolicy.extraEgress) for (const port of portsOf(rule)) allowedPorts.add(port);
      if (service === 'edge') for (const target of GRPC_SERVICES) allowedPorts.add(values[target].grpcPort);
      for (const rule of egress) {
        expect(rule.to?.length, 'every egress rule names its destinations').toBeGreaterThan(0);
        for (const port of portsOf(rule)) expect(allowedPorts, `${service} egress port ${port}`).toContain(port);
        for (const peer of rule.to) {
          if (!peer.ipBlock) continue;
          if (cidrContains(peer.ipBlock.cidr, METADATA_ADDRESS)) {
            expect((peer.ipBlock.except ?? []).some((except: string) => cidrContains(except, METADATA_ADDRESS))).toBe(true);
          }
        }
      }
      expect(egress.some((rule) => portsOf(rule).includes(53) && rule.ports.some((port: any) => port.protocol === 'UDP'))).toBe(true);
      const https = egress.some((rule) => portsOf(rule).includes(443));
      expect(https, `${service} reaches providers`).toBe(values.networkPolicy.providers.services.includes(service));
      if (service === 'edge') {
        for (const target of GRPC_SERVICES) {
          const labels = deploymentOf(objects, target).spec!.template.metadata.labels;
          const rule = egress.find((candidate) => candidate.to[0].podSelector && matches(candidate.to[0].podSelector.matchLabels, labels));
          expect(portsOf(rule)).toEqual([values[target].grpcPort]);
        }
      }
    }
  });

  test('the Ingress, when on, sends everything to the edge and keeps long streams open', () => {
    const ingresses = ofKind(objects, 'Ingress');
    if (!values.ingress.enabled) {
      expect(ingresses).toHaveLength(0);
      return;
    }
    expect(ingresses).toHaveLength(1);
    const ingress = ingresses[0]!;
    const [edgeService] = forService(objects, 'Service', 'edge');
    for (const rule of ingress.spec!.rules) {
      for (const path of rule.http.paths) {
        expect(path.backend.service).toEqual({ name: edgeService!.metadata.name, port: { name: 'http' } });
        // What the Ingress reaches is the API port, never the edge's metrics port.
        const reached = containerPortBehind(objects, edgeService!, path.backend.service.port.name);
        expect(reached).toBe(values.edge.port);
        expect(reached).not.toBe(values.edge.metricsPort);
      }
      if (ingress.spec!.tls) expect(ingress.spec!.tls.flatMap((entry: any) => entry.hosts)).toContain(rule.host);
    }
    const annotations = ingress.metadata.annotations ?? {};
    const longest = longestRequestSeconds(objects, values);
    if (values.ingress.certManager.enabled) expect(annotations['cert-manager.io/cluster-issuer']).toBe(values.ingress.certManager.clusterIssuer);
    if (values.ingress.controller === 'nginx') {
      expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThan(longest);
      expect(annotations['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('off');
    }
    if (values.ingress.controller === 'alb') {
      const idle = Number(/idle_timeout\.timeout_seconds=(\d+)/.exec(annotations['alb.ingress.kubernetes.io/load-balancer-attributes']!)?.[1]);
      expect(idle).toBeGreaterThan(longest);
      expect(annotations['alb.ingress.kubernetes.io/target-type']).toBe('ip');
    }
  });

  test('ServiceMonitors, when on, scrape /metrics on a port each Service has', () => {
    const monitors = ofKind(objects, 'ServiceMonitor');
    if (!values.serviceMonitor.enabled) {
      expect(monitors).toHaveLength(0);
      return;
    }
    for (const service of SERVICES) {
      const [monitor] = monitors.filter((candidate) => component(candidate) === service);
      const serviceObject = service === 'edge' ? expectEdgeMetricsInsideTheCluster(objects, values) : forService(objects, 'Service', service)[0];
      expect(matches(monitor!.spec!.selector.matchLabels, serviceObject!.metadata.labels)).toBe(true);
      expect(monitor!.metadata.labels).toMatchObject(values.serviceMonitor.labels);
      const endpoints = monitor!.spec!.endpoints as any[];
      // The edge is scraped on its metrics port, never its API port; the others on their health port.
      expect(endpoints.map((endpoint) => endpoint.port)).toEqual([service === 'edge' ? 'metrics' : 'http']);
      for (const endpoint of endpoints) {
        expect(endpoint.path).toBe('/metrics');
        expect((serviceObject!.spec!.ports as any[]).map((port) => port.name)).toContain(endpoint.port);
        expect(containerPortBehind(objects, serviceObject!, endpoint.port)).toBe(metricsPortOf(values, service));
      }
    }
  });
});

describe('values.schema.json', () => {
  const schema = JSON.parse(readFileSync(join(CHART_DIRECTORY, 'values.schema.json'), 'utf8'));
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  const errorsOf = (values: unknown) => (validate(values) ? [] : validate.errors!.map((error) => `${error.instancePath} ${error.message}`));

  test.each(SCENARIOS)('accepts the values Helm gives the chart with $name', ({ files }) => {
    expect(errorsOf(effectiveValues(files))).toEqual([]);
  });

  test.each([
    ['a misspelt key', { edge: { replicaCount: 3 } }],
    ['a wrong type', { router: { autoscaling: { minReplicas: 'two' } } }],
    ['a master key in clear', { config: { general_settings: { master_key: 'sk-live-1234567890' } } }],
    ['a provider key in clear', { config: { model_list: [{ model_name: 'x', litellm_params: { model: 'openai/x', api_key: 'sk-abc' } }] } }],
    ['a writable root filesystem', { securityContext: { readOnlyRootFilesystem: false } }],
    ['a NATS URL with a password', { nats: { url: 'nats://user:password@nats:4222' } }],
    ['no Secret name', { secrets: { existingSecret: '' } }],
    ['an unknown readiness probe kind', { policy: { readinessProbe: 'tcp' } }],
    ['a tracing endpoint that is not a URL', { tracing: { otlpEndpoint: 'otel-collector:4318' } }],
    ['an edge metrics port that is not a port', { edge: { metricsPort: 0 } }],
    ['client keys in clear', { config: { general_settings: { client_keys: 'sk-clientA,sk-clientB' } } }],
    ['a client key entry in clear', { config: { general_settings: { client_keys: [{ key: 'sk-clientA', rpm_limit: 10 }] } } }],
    ['Redis Cluster nodes with credentials', { redis: { cluster: { nodes: 'user:pw@redis:6379' } } }],
    ['a Redis prefix with a hash tag of its own', { redis: { keyPrefix: '{sluice}:' } }],
    ['a lease duration past what the services accept', { leases: { durationMs: 10_000 } }],
  ])('rejects %s', (_name, override) => {
    expect(errorsOf(mergeValues(effectiveValues(), override)).length).toBeGreaterThan(0);
  });
});

describe('template guards', () => {
  test.each([
    ['a master key in clear', { config: { general_settings: { master_key: 'sk-live-1234567890' } } }, 'config.general_settings.master_key holds a secret in clear'],
    [
      'a provider key in clear',
      { config: { model_list: [{ model_name: 'x', litellm_params: { model: 'openai/x', api_key: 'sk-abc' } }] } },
      'config.model_list[0].litellm_params.api_key holds a secret in clear',
    ],
    [
      'a URL with a password in the config',
      { config: { litellm_settings: { cache_params: { url: 'redis://default:hunter2@redis:6379' } } } },
      'config.litellm_settings.cache_params.url is a URL with a password',
    ],
    ['a secret in plain env', { router: { env: { ANTHROPIC_API_KEY: 'sk-ant-1' } } }, 'router.env.ANTHROPIC_API_KEY looks like a secret'],
    ['no Secret name', { secrets: { existingSecret: '' } }, 'secrets.existingSecret must name the Secret'],
    ['a grace period shorter than the drain', { edge: { terminationGracePeriodSeconds: 60 } }, 'edge.terminationGracePeriodSeconds is 60'],
    ['autoscaling without resource requests', { policy: { resources: { requests: null } } }, 'policy.autoscaling needs policy.resources.requests'],
    ['edge metrics on the API port', { edge: { port: 4000, metricsPort: 4000 } }, 'edge.metricsPort is 4000, the same as edge.port'],
    ['client keys in clear', { config: { general_settings: { client_keys: 'sk-clientA,sk-clientB' } } }, 'config.general_settings.client_keys holds client keys in clear'],
    [
      'a client key in clear in a list',
      { config: { general_settings: { client_keys: ['os.environ/SLUICE_CLIENT_KEYS', 'sk-clientC'] } } },
      'config.general_settings.client_keys holds client keys in clear',
    ],
  ])('refuse to render %s', (_name, values, message) => {
    const outcome = renderRaw({ values });
    expect(outcome.ok).toBe(false);
    expect(outcome.stderr).toContain(message);
  });
});

describe('rendering details', () => {
  test('a config change applies live (no checksum on the pod templates); configReload.rollPodsOnChange rolls every pod instead', () => {
    const annotations = (objects: RenderedObject[]) =>
      SERVICES.map((service) => deploymentOf(objects, service).spec!.template.metadata.annotations?.['checksum/config']);
    expect(annotations(render())).toEqual(SERVICES.map(() => undefined));
    const rolling = { configReload: { rollPodsOnChange: true } };
    const first = annotations(render({ values: rolling }));
    const again = annotations(render({ values: rolling }));
    const changed = annotations(render({ values: { ...rolling, config: { router_settings: { timeout: 601 } } } }));
    expect(new Set(first).size).toBe(1);
    expect(first[0]).toMatch(/^[a-f0-9]{64}$/);
    expect(again).toEqual(first);
    for (const [index, checksum] of changed.entries()) expect(checksum).not.toBe(first[index]);
  });

  test('redis.cluster points every Redis user at a Redis Cluster, its password from the Secret', () => {
    const objects = render({
      values: { redis: { cluster: { nodes: 'clustercfg.sluice.abc123.use1.cache.amazonaws.com:6379', passwordKey: 'REDIS_AUTH_TOKEN', tls: true } } },
    });
    for (const service of SERVICES) {
      const deployment = deploymentOf(objects, service);
      const environment = processEnvironment(deployment);
      const usesRedis = service !== 'edge';
      expect('REDIS_URL' in environment).toBe(false);
      expect('REDIS_CLUSTER_NODES' in environment).toBe(usesRedis);
      if (!usesRedis) continue;
      const password = envOf(deployment).find((entry) => entry.name === 'REDIS_PASSWORD');
      expect(password?.valueFrom?.secretKeyRef).toEqual({ name: 'sluice-secrets', key: 'REDIS_AUTH_TOKEN' });
      const settings = loadSettings(environment);
      expect(settings.redisCluster).toEqual({
        nodes: [{ host: 'clustercfg.sluice.abc123.use1.cache.amazonaws.com', port: 6379 }],
        username: undefined,
        password: 'stand-in-for-REDIS_AUTH_TOKEN',
        tls: true,
      });
    }
  });

  test('secrets.mountPath mounts the Secret as files too (for os.file/ references), read-only, on every service', () => {
    expect(deploymentOf(render(), 'router').spec!.template.spec.volumes.some((volume: { name: string }) => volume.name === 'secret-files')).toBe(false);
    const objects = render({ values: { secrets: { existingSecret: 'sluice-secrets', mountPath: '/etc/sluice-secrets' } } });
    for (const service of SERVICES) {
      const pod = deploymentOf(objects, service).spec!.template.spec;
      expect(pod.volumes).toContainEqual({ name: 'secret-files', secret: { secretName: 'sluice-secrets' } });
      expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'secret-files', mountPath: '/etc/sluice-secrets', readOnly: true });
    }
  });

  test('disable_key_management and client_keys reach the config policy loads, the keys from the Secret', () => {
    const objects = render({
      values: { config: { general_settings: { disable_key_management: true, client_keys: 'os.environ/SLUICE_CLIENT_KEYS' } } },
    });
    const document = parseYaml(ofKind(objects, 'ConfigMap')[0]!.data!['config.yaml']!);
    const policy = deploymentOf(objects, 'policy');
    const entry = envOf(policy).find((candidate) => candidate.name === 'SLUICE_CLIENT_KEYS');
    expect(entry?.valueFrom?.secretKeyRef).toMatchObject({ name: 'sluice-secrets', key: 'SLUICE_CLIENT_KEYS' });
    const loaded = parseConfig(document, { LITELLM_MASTER_KEY: 'sk-master', SLUICE_CLIENT_KEYS: 'sk-clientA,sk-clientB' }, 'rendered config');
    expect(loaded.config.general_settings?.disable_key_management).toBe(true);
    expect(loaded.config.general_settings?.client_keys).toBe('sk-clientA,sk-clientB');
    // Off by default.
    const defaults = parseYaml(ofKind(render(), 'ConfigMap')[0]!.data!['config.yaml']!);
    expect(defaults.general_settings.disable_key_management).toBe(false);
  });

  test('tracing.otlpEndpoint turns tracing on in every service, and only then', () => {
    for (const service of SERVICES) expect(processEnvironment(deploymentOf(render(), service)).OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    const traced = render({ values: { tracing: { otlpEndpoint: 'http://otel-collector.observability:4318' } } });
    for (const service of SERVICES) {
      const environment = processEnvironment(deploymentOf(traced, service));
      expect(environment.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://otel-collector.observability:4318');
      expect(loadSettings(environment).telemetry.otlpEndpoint).toBe('http://otel-collector.observability:4318');
    }
  });

  test('internal calls carry one token from one Secret: generated by default, the user\'s when named, and off only when asked', () => {
    const token = (objects: RenderedObject[], service: ServiceName): any => envOf(deploymentOf(objects, service)).find((entry) => entry.name === 'SLUICE_INTERNAL_TOKEN');
    const generated = render();
    const [secret] = ofKind(generated, 'Secret');
    expect(secret!.metadata.annotations).toMatchObject({ 'helm.sh/resource-policy': 'keep' });
    expect(Buffer.from((secret!.data as Record<string, string>)['internal-token']!, 'base64').toString()).toMatch(/^[A-Za-z0-9]{48}$/);
    for (const service of SERVICES) expect(token(generated, service)!.valueFrom.secretKeyRef).toEqual({ name: secret!.metadata.name, key: 'internal-token' });
    const named = render({ values: { internalAuth: { existingSecret: 'my-token', key: 'token' } } });
    expect(ofKind(named, 'Secret')).toHaveLength(0);
    for (const service of SERVICES) expect(token(named, service)!.valueFrom.secretKeyRef).toEqual({ name: 'my-token', key: 'token' });
    const off = render({ values: { internalAuth: { enabled: false } } });
    for (const service of SERVICES) {
      expect(token(off, service)).toBeUndefined();
      expect(loadSettings(processEnvironment(deploymentOf(off, service))).internalAuth).toBe('none');
    }
  });

  test('bumping secrets.revision rolls every pod, as the secret rotation procedure needs', () => {
    const rolled = render({ values: { secrets: { revision: '2026-12-01' } } });
    for (const service of SERVICES) {
      expect(deploymentOf(rolled, service).spec!.template.metadata.annotations['sluice.dev/secret-revision']).toBe('2026-12-01');
    }
  });

  test('a longer model timeout in the config lengthens the drain and the grace period', () => {
    const objects = render({
      values: { config: { model_list: [{ model_name: 'slow', litellm_params: { model: 'openai/o3', timeout: 1800, api_key: 'os.environ/OPENAI_API_KEY' } }] } },
    });
    const edge = deploymentOf(objects, 'edge');
    expect(processEnvironment(edge).SLUICE_DRAIN_TIMEOUT_MS).toBe('1800000');
    expect(edge.spec!.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(1800);
    expect(processEnvironment(deploymentOf(objects, 'router')).SLUICE_SHUTDOWN_TIMEOUT_MS).toBe('1800000');
  });

  // Helm reads numbers in values as float64 (through JSON); helm-render reads them as ints. Rendering every
  // number written as a float must give the same objects, or a template prints "6.048e+08" under Helm.
  test.each([
    [[] as string[], {}],
    [[PRODUCTION], {}],
    [[PRODUCTION], { edge: { routerInProcess: true } }],
  ])('numbers read as floats, as Helm reads them, render the same objects (%j, %j)', (files, override) => {
    const asInts = render({ valuesFiles: files, values: override });
    const document = new Document(mergeValues(effectiveValues(files), override));
    visit(document, {
      Scalar(_key, node) {
        if (typeof node.value === 'number' && Number.isInteger(node.value)) node.minFractionDigits = 1;
      },
    });
    const directory = scratchDirectory();
    try {
      const file = join(directory, 'float-values.yaml');
      // Quoted strings: an unquoted 2024-10-21 would be a timestamp to Go's YAML 1.1 reader.
      writeFileSync(file, document.toString({ defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' }));
      expect(readFileSync(file, 'utf8')).toContain('requestSeconds: 600.0');
      const asFloats = render({ valuesFiles: [file] });
      const withoutChecksums = (objects: RenderedObject[]) =>
        objects.map(({ object }) => {
          const copy = structuredClone(object);
          delete copy.spec?.template?.metadata?.annotations?.['checksum/config'];
          // The generated internal token is random at every render (helm keeps it across upgrades by lookup).
          if (copy.kind === 'Secret') delete copy.data;
          return copy;
        });
      expect(withoutChecksums(asFloats)).toEqual(withoutChecksums(asInts));
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  test.each(['LoadBalancer', 'NodePort'])("with a %s edge Service the metrics port stays on a ClusterIP Service of its own", (type) => {
    const values = mergeValues(effectiveValues(), { edge: { service: { type } }, serviceMonitor: { enabled: true }, networkPolicy: { enabled: true } });
    const objects = render({ values: { edge: { service: { type } }, serviceMonitor: { enabled: true }, networkPolicy: { enabled: true } } });
    const metricsService = expectEdgeMetricsInsideTheCluster(objects, values);
    const [monitor] = ofKind(objects, 'ServiceMonitor').filter((candidate) => component(candidate) === 'edge');
    expect(monitor!.spec!.endpoints.map((endpoint: any) => endpoint.port)).toEqual(['metrics']);
    expect(matches(monitor!.spec!.selector.matchLabels, metricsService.metadata.labels)).toBe(true);
  });

  test('NOTES.txt tells how to reach the edge and create the first key', () => {
    // helm-render skips NOTES.txt, so render a copy of the chart in which it is an ordinary template.
    const directory = scratchDirectory();
    try {
      const chart = join(directory, 'sluice');
      cpSync(CHART_DIRECTORY, chart, { recursive: true });
      renameSync(join(chart, 'templates/NOTES.txt'), join(chart, 'templates/zz-notes.yaml'));
      const notesOf = (files: string[]) => {
        const outcome = renderRaw({ chartDirectory: chart, valuesFiles: files });
        expect(outcome.stderr).toBe('');
        return outcome.stdout.split('# Source: sluice/templates/zz-notes.yaml\n')[1]!;
      };
      const local = notesOf([]);
      expect(local).toContain('kubectl -n llm port-forward service/sluice-edge 4000:4000');
      expect(local).toContain('curl -X POST $SLUICE_URL/key/generate');
      expect(local).toContain("get secret sluice-secrets -o jsonpath='{.data.LITELLM_MASTER_KEY}'");
      expect(local).toContain('"models": ["gpt-4o-mini"]');
      const production = notesOf([PRODUCTION]);
      expect(production).toContain('export SLUICE_URL=https://llm.example.com');
      expect(production).toContain('NetworkPolicies are on');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('edge.routerInProcess: the edge and the router in one process', () => {
  const IN_PROCESS = { edge: { routerInProcess: true } };
  const secretEnvOf = (deployment: KubernetesObject) => envOf(deployment).filter((entry) => entry.valueFrom?.secretKeyRef);
  /** Everything the release renders for a component, whatever the kind. */
  const ofComponent = (objects: RenderedObject[], name: string) => objects.filter(({ object }) => component(object) === name).map(({ object }) => `${object.kind}/${object.metadata.name}`);

  test('off by default: the router has its Deployment, Service, autoscaler, budget and NetworkPolicy, and the edge calls it over gRPC', () => {
    expect(effectiveValues().edge.routerInProcess).toBe(false);
    const objects = render({ values: { serviceMonitor: { enabled: true } } });
    expect(ofComponent(objects, 'router').sort()).toEqual(
      ['Deployment', 'HorizontalPodAutoscaler', 'NetworkPolicy', 'PodDisruptionBudget', 'Service', 'ServiceAccount', 'ServiceMonitor'].map((kind) => `${kind}/sluice-router`),
    );
    const edge = containerOf(deploymentOf(objects, 'edge'));
    expect(edge.args).toEqual(['services/edge/dist/main.js']);
    expect(processEnvironment(deploymentOf(objects, 'edge')).SLUICE_ROUTER_ADDRESS).toBe('sluice-router:4020');
    expect(Object.keys(containerPorts(deploymentOf(objects, 'edge'))).sort()).toEqual(['http', 'metrics']);
    // Saying false is the default: the same objects.
    const stripToken = (list: RenderedObject[]) => list.map(({ object }) => (object.kind === 'Secret' ? { ...object, data: undefined } : object));
    expect(stripToken(render({ values: { edge: { routerInProcess: false } } }))).toEqual(stripToken(render()));
  });

  describe.each([
    { name: 'default values', files: [] as string[] },
    { name: 'ci/production-values.yaml', files: [PRODUCTION] },
  ])('on, with $name', ({ files }) => {
    let objects: RenderedObject[];
    let separate: RenderedObject[];
    let values: any;

    beforeAll(() => {
      objects = render({ valuesFiles: files, values: { ...IN_PROCESS, serviceMonitor: { enabled: true } } });
      separate = render({ valuesFiles: files, values: { serviceMonitor: { enabled: true } } });
      values = mergeValues(effectiveValues(files), IN_PROCESS);
    });

    test('every object is valid against the Kubernetes API schemas, and the values against values.schema.json', async () => {
      expect(await validateWithModels(objects)).toEqual([]);
      expect(validateWithDeclarations(objects)).toEqual([]);
      const schema = JSON.parse(readFileSync(join(CHART_DIRECTORY, 'values.schema.json'), 'utf8'));
      const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
      expect(validate(values), JSON.stringify(validate.errors)).toBe(true);
    });

    test('nothing of the router is deployed: no Deployment, Service, autoscaler, budget, NetworkPolicy, ServiceAccount or ServiceMonitor', () => {
      expect(ofComponent(objects, 'router')).toEqual([]);
      // Policy and accounting are untouched (neither calls the router).
      for (const service of ['policy', 'accounting'] as const) {
        expect(ofComponent(objects, service)).toEqual(ofComponent(separate, service));
        expect(deploymentOf(objects, service)).toEqual(deploymentOf(separate, service));
      }
    });

    test('the edge Deployment runs the edge-with-router main, the script the test stacks run as that shape', () => {
      const container = containerOf(deploymentOf(objects, 'edge'));
      expect(container.args).toEqual([relative(REPOSITORY_ROOT, EDGE_WITH_ROUTER_SCRIPT)]);
      expect(container.args).toEqual(['packages/edge-with-router/dist/main.js']);
      expect(container.ports.map((port: any) => [port.name, port.containerPort])).toEqual([
        ['http', values.edge.port],
        ['metrics', values.edge.metricsPort],
        ['router-grpc', values.router.grpcPort],
        ['router-http', values.router.httpPort],
      ]);
    });

    test("the edge carries every secret reference the router had, beside its own, and the settings of both services parse", () => {
      const edge = deploymentOf(objects, 'edge');
      const references = secretEnvOf(edge);
      for (const entry of [...secretEnvOf(deploymentOf(separate, 'router')), ...secretEnvOf(deploymentOf(separate, 'edge'))]) {
        expect(references, entry.name).toContainEqual(entry);
      }
      expect(references.map((entry) => entry.name)).toContain('OPENAI_API_KEY');
      const names = envOf(edge).map((entry) => entry.name);
      expect(new Set(names).size, 'no variable twice').toBe(names.length);
      for (const name of names) expect(SETTINGS_VARIABLES.has(name) || references.some((entry) => entry.name === name), name).toBe(true);
      const environment = processEnvironment(edge);
      // The process points its edge at its own router: no address to give.
      expect(environment.SLUICE_ROUTER_ADDRESS).toBeUndefined();
      const settings = loadSettings(environment);
      const ports = containerPorts(edge);
      expect(settings.edge).toMatchObject({ host: '0.0.0.0', port: ports.http, metricsPort: ports.metrics });
      expect(settings.router).toMatchObject({ host: '0.0.0.0', port: ports['router-grpc'], httpPort: ports['router-http'] });
      for (const target of ['policy', 'accounting'] as const) {
        expect(settings[`${target}Address`]).toBe(processEnvironment(deploymentOf(separate, 'edge'))[`SLUICE_${target.toUpperCase()}_ADDRESS`]);
      }
      // The router's backends as well as the edge's.
      for (const backend of new Set([...values.edge.backends, ...values.router.backends])) {
        const variable = { postgres: 'DATABASE_URL', redis: values.redis.cluster.nodes ? 'REDIS_CLUSTER_NODES' : 'REDIS_URL', nats: 'NATS_URL' }[backend as string]!;
        expect(environment[variable], backend).toBeDefined();
      }
      // The edge drains first; the router only closes after it, within the edge's grace period.
      const grace = edge.spec!.template.spec.terminationGracePeriodSeconds as number;
      expect(grace).toBe(deploymentOf(separate, 'edge').spec!.template.spec.terminationGracePeriodSeconds);
      expect(grace).toBeGreaterThan(values.timeouts.preStopSleepSeconds + seconds(environment.SLUICE_DRAIN_TIMEOUT_MS) + seconds(environment.SLUICE_SHUTDOWN_TIMEOUT_MS));
    });

    test("the edge pods get the router's identity (pod labels, service account annotations) and resources for both", () => {
      const edge = deploymentOf(objects, 'edge');
      expect(edge.spec!.template.metadata.labels).toMatchObject(values.router.podLabels ?? {});
      const [account] = forService(objects, 'ServiceAccount', 'edge');
      expect(account!.metadata.annotations ?? {}).toEqual({ ...values.router.serviceAccount.annotations, ...values.edge.serviceAccount.annotations });
      expect(edge.spec!.template.spec.serviceAccountName).toBe(account!.metadata.name);
      const cpu = (quantity: string) => (quantity.endsWith('m') ? Number(quantity.slice(0, -1)) : Number(quantity) * 1000);
      const mebibytes = (quantity: string) => (quantity.endsWith('Gi') ? Number(quantity.slice(0, -2)) * 1024 : Number(quantity.replace(/Mi$/, '')));
      const resources = containerOf(edge).resources;
      for (const kind of ['requests', 'limits'] as const) {
        expect(cpu(resources[kind].cpu)).toBe(cpu(String(values.edge.resources[kind].cpu)) + cpu(String(values.router.resources[kind].cpu)));
        expect(mebibytes(resources[kind].memory)).toBe(mebibytes(values.edge.resources[kind].memory) + mebibytes(values.router.resources[kind].memory));
      }
      // The edge's autoscaler scales the pair; its utilization targets are relative to those requests.
      expect(forService(objects, 'HorizontalPodAutoscaler', 'edge')[0]!.spec!.maxReplicas).toBe(values.edge.autoscaling.maxReplicas);
    });

    test('the NetworkPolicy lets the edge reach the providers and the router\'s backends, opens its metrics to Prometheus, and nothing to its gRPC port', () => {
      const policies = ofKind(objects, 'NetworkPolicy');
      const [edgePolicy] = policies.filter((policy) => component(policy) === 'edge');
      const [routerBefore] = ofKind(separate, 'NetworkPolicy').filter((policy) => component(policy) === 'router');
      const egress = edgePolicy!.spec!.egress as any[];
      // Every egress rule the router's pods had, the edge's now have (providers over HTTPS among them).
      for (const rule of routerBefore!.spec!.egress as any[]) expect(egress).toContainEqual(rule);
      const https = egress.find((rule) => portsOf(rule).includes(443));
      expect(https.to).toEqual(values.networkPolicy.providers.to.length ? values.networkPolicy.providers.to : [{ ipBlock: { cidr: '0.0.0.0/0', except: values.networkPolicy.blockedCidrs } }]);
      for (const port of values.networkPolicy.redis.ports) expect(egress.some((rule) => portsOf(rule).includes(port)), `redis port ${port}`).toBe(true);
      // No egress to a router pod any more; still to policy and accounting.
      const podTargets = egress.filter((rule) => rule.to[0].podSelector && !rule.to[0].namespaceSelector).map((rule) => rule.to[0].podSelector.matchLabels['app.kubernetes.io/component']);
      expect(podTargets).toEqual(['policy', 'accounting']);
      const ingress = edgePolicy!.spec!.ingress as any[];
      const metrics = ingress.filter((rule) => JSON.stringify(rule.from) === JSON.stringify(values.networkPolicy.metricsFrom));
      expect(metrics.flatMap(portsOf)).toEqual([values.edge.metricsPort, values.router.httpPort]);
      expect(ingress.flatMap(portsOf)).not.toContain(values.router.grpcPort);
      // Policy and accounting still take calls from the edge pods.
      for (const service of ['policy', 'accounting'] as const) {
        const [policy] = policies.filter((candidate) => component(candidate) === service);
        const [before] = ofKind(separate, 'NetworkPolicy').filter((candidate) => component(candidate) === service);
        expect(policy).toEqual(before);
      }
    });

    test("the router's metrics stay scraped: a port of the edge Service, an endpoint of its ServiceMonitor, under the router's job", () => {
      const [service] = forService(objects, 'Service', 'edge');
      expect(service!.spec!.ports.map((port: any) => port.name)).toEqual(['http', 'metrics', 'router-http']);
      expect(containerPortBehind(objects, service!, 'router-http')).toBe(values.router.httpPort);
      const [monitor] = forService(objects, 'ServiceMonitor', 'edge');
      const endpoints = monitor!.spec!.endpoints as any[];
      expect(endpoints.map((endpoint) => [endpoint.port, endpoint.path])).toEqual([
        ['metrics', '/metrics'],
        ['router-http', '/metrics'],
      ]);
      expect(endpoints[1].relabelings).toEqual([{ action: 'replace', targetLabel: 'job', replacement: 'sluice-router' }]);
    });
  });

  test('with a LoadBalancer edge Service the router metrics port too stays on the ClusterIP metrics Service', () => {
    const objects = render({ values: { ...IN_PROCESS, edge: { routerInProcess: true, service: { type: 'LoadBalancer' } } } });
    const services = forService(objects, 'Service', 'edge');
    const portsByType = Object.fromEntries(services.map((service) => [service.spec!.type, service.spec!.ports.map((port: any) => port.name)]));
    expect(portsByType).toEqual({ LoadBalancer: ['http'], ClusterIP: ['metrics', 'router-http'] });
  });

  test('edge.routerInProcessResources replaces the added-up resources', () => {
    const resources = { requests: { cpu: '750m', memory: '400Mi' }, limits: { cpu: '3', memory: '900Mi' } };
    const objects = render({ values: { edge: { routerInProcess: true, routerInProcessResources: resources } } });
    expect(containerOf(deploymentOf(objects, 'edge')).resources).toEqual(resources);
    const added = render({ values: { ...IN_PROCESS, edge: { routerInProcess: true, resources: { requests: { cpu: 0.5, memory: '1Gi' }, limits: null } } } });
    // Requests add up (0.5 cores + 250m, 1 GiB + 256 MiB); a limit only when both sides set one.
    expect(containerOf(deploymentOf(added, 'edge')).resources).toEqual({ requests: { cpu: '750m', memory: '1280Mi' } });
  });

  test.each([
    [
      'one service account annotation with two values',
      { edge: { routerInProcess: true, serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/edge' } } }, router: { serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/router' } } } },
      'edge.serviceAccount.annotations and router.serviceAccount.annotations both set eks.amazonaws.com/role-arn',
    ],
    ['a router port that is an edge port', { edge: { routerInProcess: true, metricsPort: 4021 } }, 'edge.routerInProcess: router port 4021 is also one of the edge'],
    ['a quantity it cannot add up', { edge: { routerInProcess: true }, router: { resources: { requests: { cpu: '1', memory: '1Pi' } } } }, 'set edge.routerInProcessResources'],
  ])('refuses to render %s', (_name, values, message) => {
    const outcome = renderRaw({ values });
    expect(outcome.ok).toBe(false);
    expect(outcome.stderr).toContain(message);
  });

  test('values.schema.json takes a boolean only', () => {
    const schema = JSON.parse(readFileSync(join(CHART_DIRECTORY, 'values.schema.json'), 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate(mergeValues(effectiveValues(), { edge: { routerInProcess: 'yes' } }))).toBe(false);
    expect(validate(mergeValues(effectiveValues(), { edge: { routerInProcessResources: { requests: { cpu: 'lots' } } } }))).toBe(false);
  });
});

describe('docs/deploy-kubernetes.md', () => {
  const text = readFileSync(join(REPOSITORY_ROOT, 'docs/deploy-kubernetes.md'), 'utf8');

  test('covers AKS, EKS, scaling, sizing tiers, upgrade and rollback, secret rotation and teardown, and the README links it', () => {
    const headings = [...text.matchAll(/^## (.+)$/gm)].map((match) => match[1]);
    expect(headings).toEqual(
      expect.arrayContaining(['Install on AKS', 'Install on EKS', 'Scaling each service', 'Sizing', 'Upgrade and rollback', 'Rotating secrets', 'Teardown']),
    );
    for (const tier of ['small', 'medium', 'large']) expect(text).toMatch(new RegExp(`^\\| ${tier} \\|`, 'm'));
    expect(readFileSync(join(REPOSITORY_ROOT, 'README.md'), 'utf8')).toContain('(docs/deploy-kubernetes.md)');
  });

  test('every chart value it names exists in values.yaml', () => {
    const values = effectiveValues();
    const named = [...text.matchAll(/`([a-z][A-Za-z]*(?:\.[A-Za-z<>]+)+)/g)].map((match) => match[1]!);
    const paths = named
      .filter((path) => path.split('.')[0]! in values || path.startsWith('<service>.'))
      .flatMap((path) => (path.startsWith('<service>.') ? SERVICES.map((service) => path.replace('<service>', service)) : [path]));
    expect(paths.length).toBeGreaterThan(15);
    for (const path of paths) {
      let node: any = values;
      for (const segment of path.split('.')) {
        expect(node !== null && typeof node === 'object' && segment in node, `${path} (at ${segment})`).toBe(true);
        node = node[segment];
      }
    }
  });
});

describe('leases', () => {
  const LEASE_VARIABLES = ['SLUICE_LEASES', 'SLUICE_LEASE_MS', 'SLUICE_LEASE_MARGIN_MS'];
  const leaseVariables = (objects: RenderedObject[], service: ServiceName) =>
    envOf(deploymentOf(objects, service)).filter((entry) => LEASE_VARIABLES.includes(entry.name));

  test('on by default with the services\' own durations: no lease variable is set', () => {
    const objects = render();
    for (const service of ['edge', 'policy', 'router', 'accounting'] as const) expect(leaseVariables(objects, service)).toEqual([]);
    expect(loadSettings(processEnvironment(deploymentOf(objects, 'edge'))).leases).toEqual({ enabled: true, durationMs: 1_000, marginMs: 60_000 });
  });

  test('leases.* reach the edge and policy (which ask for and grant leases) and no other service', () => {
    const objects = render({ values: { leases: { enabled: false, durationMs: 500, marginMs: 30_000 } } });
    for (const service of ['edge', 'policy'] as const) {
      expect(loadSettings(processEnvironment(deploymentOf(objects, service))).leases).toEqual({ enabled: false, durationMs: 500, marginMs: 30_000 });
    }
    for (const service of ['router', 'accounting'] as const) expect(leaseVariables(objects, service)).toEqual([]);
  });
});
