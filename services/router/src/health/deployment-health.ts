import { Cancellation, GatewayError, type GatewayConfig, type Logger, type MetricRegistry } from '@sluice/common';
import { CallType, type CompleteRequest, type DeploymentHealth, type ModelHealthResponse } from '@sluice/proto';
import type { Deployment } from '../providers/provider-adapter.js';
import { deploymentAdapter } from '../providers/provider-registry.js';
import type { ModelRegistry } from '../routing/model-registry.js';
import type { RoutingSettings } from '../routing/routing-settings.js';
import { runAttempt } from '../routing/run-attempt.js';
import { publicApiBase, redactSecrets } from './redact-endpoint.js';

// LiteLLM's /health: one minimal request to each deployment, straight to it (no selection, retries,
// fallbacks or cooldown bookkeeping: a health check must not change what it measures), and a state per
// deployment for the sluice_deployment_state gauge: cooldown while routing keeps traffic off it, failing
// when its last check failed, up otherwise. With background_health_checks the checks run every
// health_check_interval seconds and /health answers from the latest round.

export type DeploymentState = 'up' | 'cooldown' | 'failing';
const STATES: readonly DeploymentState[] = ['up', 'cooldown', 'failing'];

/** LiteLLM's default health_check_interval, seconds. */
const DEFAULT_INTERVAL_SECONDS = 300;
/** A check gets at most this long unless model_info.health_check_timeout says otherwise (seconds there). */
const DEFAULT_CHECK_TIMEOUT_MS = 30_000;

interface CheckResult {
  ok: boolean;
  error: string;
  checkedAtMs: number;
  latencyMs: number;
}

export interface ModelHealthOptions {
  config: GatewayConfig;
  registry: ModelRegistry;
  deployments: readonly Deployment[];
  settings: RoutingSettings;
  coolingDown(deploymentId: string): boolean;
  metrics: MetricRegistry;
  logger: Logger;
  now?: () => number;
}

export interface ModelHealth {
  /** Checks now (or answers from the background's latest round) for one model group or all. */
  check(modelGroup: string): Promise<ModelHealthResponse>;
  /** A reloaded config's deployments: checked (and in the state gauge) from now on. */
  track(models: { registry: ModelRegistry; deployments: readonly Deployment[]; settings: RoutingSettings }): void;
  stop(): void;
}

/** The smallest request of the deployment's mode: one token of chat, or one short embedding. */
function healthRequest(deployment: Deployment): { request: CompleteRequest; body: Record<string, unknown> } {
  const embedding = deployment.info.mode === 'embedding';
  const body: Record<string, unknown> = embedding
    ? { model: deployment.modelGroup, input: ['ping'] }
    : { model: deployment.modelGroup, messages: [{ role: 'user', content: 'ping' }], max_tokens: 1 };
  const raw = Buffer.from(JSON.stringify(body));
  return {
    body,
    request: {
      requestId: `health-${deployment.id}-${Date.now().toString(36)}`,
      callType: embedding ? CallType.CALL_TYPE_EMBEDDING : CallType.CALL_TYPE_CHAT_COMPLETION,
      modelGroup: deployment.modelGroup,
      body: raw,
      stream: false,
      includeUsage: false,
      cacheNamespace: '',
      cache: undefined,
      traceparent: '',
      clientHeaders: {},
      owner: '',
      tags: [],
    },
  };
}

export function startModelHealth(options: ModelHealthOptions): ModelHealth {
  let { registry, deployments, settings } = options;
  const { logger } = options;
  const now = options.now ?? Date.now;
  const general = options.config.general_settings;
  const background = general?.background_health_checks === true;
  const intervalMs = Math.max(1, general?.health_check_interval ?? DEFAULT_INTERVAL_SECONDS) * 1000;
  const latest = new Map<string, CheckResult>();
  let round: Promise<void> | undefined;

  const stateOf = (deployment: Deployment): DeploymentState => {
    if (options.coolingDown(deployment.id)) return 'cooldown';
    return latest.get(deployment.id)?.ok === false ? 'failing' : 'up';
  };
  options.metrics.sampled(
    'sluice_deployment_state',
    'Deployment state: 1 for its current state (up, cooldown: no traffic after failures, failing: its last health check failed), 0 for the others.',
    'gauge',
    ['model_group', 'deployment', 'provider', 'state'],
    () =>
      deployments.flatMap((deployment) => {
        const current = stateOf(deployment);
        return STATES.map((state) => [[deployment.modelGroup, deployment.id, deployment.provider, state], state === current ? 1 : 0] as const);
      }),
  );

  async function checkOne(deployment: Deployment): Promise<CheckResult> {
    const started = now();
    const { request, body } = healthRequest(deployment);
    const configured = (deployment.info as Record<string, unknown>).health_check_timeout;
    const timeoutMs = typeof configured === 'number' && configured > 0 ? configured * 1000 : Math.min(settings.timeoutMs, DEFAULT_CHECK_TIMEOUT_MS);
    try {
      const parts = runAttempt(
        {
          request,
          body,
          deployment,
          // The deployment's own adapter: a Claude model on Vertex AI is not checked through Gemini's.
          adapter: deploymentAdapter(deployment),
          price: undefined,
          priceJson: '',
          dropParams: true,
          timeoutMs,
          streamTimeoutMs: timeoutMs,
          idleTimeoutMs: timeoutMs,
          signal: new Cancellation(),
          createdSeconds: Math.floor(started / 1000),
          onDropped: () => undefined,
        },
        {},
      );
      for await (const part of parts) {
        if (part.part?.$case === 'error') throw new GatewayError('upstream_error', part.part.error.message);
      }
      return { ok: true, error: '', checkedAtMs: now(), latencyMs: now() - started };
    } catch (error) {
      const code = error instanceof GatewayError ? error.code : 'upstream_error';
      const message = error instanceof Error ? error.message : 'the health check failed';
      return { ok: false, error: redactSecrets(`${code}: ${message}`, deployment), checkedAtMs: now(), latencyMs: now() - started };
    }
  }

  async function checkAll(targets: readonly Deployment[]): Promise<void> {
    const results = await Promise.all(targets.map(async (deployment) => [deployment, await checkOne(deployment)] as const));
    for (const [deployment, result] of results) {
      const before = latest.get(deployment.id);
      latest.set(deployment.id, result);
      if (!result.ok && before?.ok !== false) logger.warn({ deployment: deployment.id, modelGroup: deployment.modelGroup, error: result.error }, 'health check failed');
      if (result.ok && before?.ok === false) logger.info({ deployment: deployment.id, modelGroup: deployment.modelGroup }, 'health check passed again');
    }
  }

  function backgroundRound(): Promise<void> {
    round ??= checkAll(deployments).finally(() => {
      round = undefined;
    });
    return round;
  }

  let timer: NodeJS.Timeout | undefined;
  if (background && deployments.length > 0) {
    timer = setInterval(() => void backgroundRound(), intervalMs);
    timer.unref();
    void backgroundRound();
  }

  function view(deployment: Deployment): DeploymentHealth {
    const result = latest.get(deployment.id);
    return {
      modelGroup: deployment.modelGroup,
      deploymentId: deployment.id,
      model: deployment.params.model,
      apiBase: publicApiBase(deployment.apiBase),
      state: stateOf(deployment),
      error: result?.error ?? '',
      checkedAtMs: result?.checkedAtMs ?? 0,
      latencyMs: result?.latencyMs ?? 0,
    };
  }

  return {
    async check(modelGroup) {
      const targets = modelGroup === '' ? deployments : (registry.group(modelGroup) ?? []);
      if (modelGroup !== '' && targets.length === 0) throw new GatewayError('model_not_found', `There is no model group named "${modelGroup}".`);
      if (background) {
        // Answer from the latest round; only deployments never checked yet wait for one.
        if (targets.some((deployment) => !latest.has(deployment.id))) await backgroundRound();
      } else {
        await checkAll(targets);
      }
      const healthy: DeploymentHealth[] = [];
      const unhealthy: DeploymentHealth[] = [];
      for (const deployment of targets) (latest.get(deployment.id)?.ok === false ? unhealthy : healthy).push(view(deployment));
      return { healthy, unhealthy };
    },
    track(models) {
      ({ registry, deployments, settings } = models);
      const ids = new Set(deployments.map((deployment) => deployment.id));
      for (const id of latest.keys()) if (!ids.has(id)) latest.delete(id);
      // Background checks that were idle for want of deployments start with the first ones.
      if (background && !timer && deployments.length > 0) {
        timer = setInterval(() => void backgroundRound(), intervalMs);
        timer.unref();
        void backgroundRound();
      }
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
