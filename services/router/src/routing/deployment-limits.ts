import type { Deployment } from '../providers/provider-adapter.js';

// A deployment's own limits from litellm_params (rpm, tpm, max_parallel_requests), enforced as routing
// constraints: before an attempt the router reserves a request (and the prompt's token estimate, and a
// parallel slot) with the deployment; a deployment at a limit is skipped for another one or a fallback.
// After the attempt the tokens are settled to what the provider reported and the slot is given back.
// The Redis store makes this exact across router replicas; this memory store is embedded mode's, and what
// a replica falls back to while Redis is unreachable.

/** One minute, as LiteLLM counts rpm and tpm; the window starts with its first request. */
export const LIMIT_WINDOW_MS = 60_000;

export interface LimitsOfDeployment {
  rpm: number;
  tpm: number;
  parallel: number;
  /** Longest a parallel slot may stay taken if its attempt never ends (a crashed replica). */
  slotTtlMs: number;
}

export type LimitReason = 'rpm' | 'tpm' | 'parallel';

/** What the router holds for an admitted attempt, to settle and release when it ends. */
export interface Lease {
  deploymentId: string;
  attemptId: string;
  windowStartMs: number;
  tokens: number;
  parallel: boolean;
}

export type Reservation = { admitted: true; lease: Lease } | { admitted: false; reason: LimitReason; retryAfterMs: number };

export interface DeploymentLimitStore {
  reserve(limits: LimitsOfDeployment, deploymentId: string, attemptId: string, tokens: number, nowMs: number): Promise<Reservation>;
  /** The attempt ended: tokens corrected to `tokens` in the window still running, its slot freed. Never throws. */
  end(lease: Lease, tokens: number): void;
  close(): Promise<void>;
}

/** Slots outlive the whole-answer timeout by this much before the TTL frees them. */
const SLOT_MARGIN_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 600_000;

const positive = (value: number | undefined) => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0);

/**
 * The deployment's limits, or undefined when it has none (then limits cost nothing on its requests).
 * `defaultParallel` is router_settings.default_max_parallel_requests, for deployments without their own.
 */
export function limitsOf(deployment: Deployment, timeoutMs = DEFAULT_TIMEOUT_MS, defaultParallel = 0): LimitsOfDeployment | undefined {
  const rpm = positive(deployment.params.rpm);
  const tpm = positive(deployment.params.tpm);
  const parallel = positive(deployment.params.max_parallel_requests) || positive(defaultParallel);
  if (rpm === 0 && tpm === 0 && parallel === 0) return undefined;
  const timeout = deployment.params.timeout !== undefined ? deployment.params.timeout * 1000 : timeoutMs;
  return { rpm, tpm, parallel, slotTtlMs: Math.max(timeout, (deployment.params.stream_timeout ?? 0) * 1000) + SLOT_MARGIN_MS };
}

interface Window {
  startMs: number;
  requests: number;
  tokens: number;
  /** Attempt id → when its slot expires. */
  slots: Map<string, number>;
}

/** The same rules as the Redis scripts, for one process. */
export class MemoryDeploymentLimits implements DeploymentLimitStore {
  private readonly windows = new Map<string, Window>();

  private windowOf(deploymentId: string, nowMs: number): Window {
    let window = this.windows.get(deploymentId);
    if (!window) {
      window = { startMs: nowMs, requests: 0, tokens: 0, slots: new Map() };
      this.windows.set(deploymentId, window);
    }
    if (nowMs - window.startMs >= LIMIT_WINDOW_MS) {
      window.startMs = nowMs;
      window.requests = 0;
      window.tokens = 0;
    }
    return window;
  }

  async reserve(limits: LimitsOfDeployment, deploymentId: string, attemptId: string, tokens: number, nowMs: number): Promise<Reservation> {
    return this.reserveNow(limits, deploymentId, attemptId, tokens, nowMs);
  }

  reserveNow(limits: LimitsOfDeployment, deploymentId: string, attemptId: string, tokens: number, nowMs: number): Reservation {
    const window = this.windowOf(deploymentId, nowMs);
    const retryAfterMs = window.startMs + LIMIT_WINDOW_MS - nowMs;
    // A prompt larger than the whole tpm still gets through an empty window, as a lone request would.
    const need = limits.tpm > 0 ? Math.min(tokens, limits.tpm) : tokens;
    if (limits.rpm > 0 && window.requests + 1 > limits.rpm) return { admitted: false, reason: 'rpm', retryAfterMs };
    if (limits.tpm > 0 && window.tokens + need > limits.tpm) return { admitted: false, reason: 'tpm', retryAfterMs };
    if (limits.parallel > 0) {
      for (const [id, expiresAt] of window.slots) if (expiresAt <= nowMs) window.slots.delete(id);
      if (window.slots.size >= limits.parallel) return { admitted: false, reason: 'parallel', retryAfterMs: 1_000 };
      window.slots.set(attemptId, nowMs + limits.slotTtlMs);
    }
    window.requests += 1;
    window.tokens += need;
    return { admitted: true, lease: { deploymentId, attemptId, windowStartMs: window.startMs, tokens: need, parallel: limits.parallel > 0 } };
  }

  end(lease: Lease, tokens: number): void {
    const window = this.windows.get(lease.deploymentId);
    if (!window) return;
    if (window.startMs === lease.windowStartMs) window.tokens = Math.max(0, window.tokens + tokens - lease.tokens);
    if (lease.parallel) window.slots.delete(lease.attemptId);
  }

  async close(): Promise<void> {}
}
