import type { FallbackList, GatewayConfig } from '@sluice/common';
import { type PerErrorClass, readPerErrorClass } from './retry-policy.js';

export type RoutingStrategy = 'simple-shuffle' | 'least-busy' | 'latency-based-routing' | 'usage-based-routing' | 'cost-based-routing';

/** router_settings (and the litellm_settings they override) read once into what the router uses. */
export interface RoutingSettings {
  strategy: RoutingStrategy;
  /** latency-based-routing: deployments within this fraction of the fastest are picked at random. */
  lowestLatencyBuffer: number;
  /** Retries per model group after the first attempt. */
  numRetries: number;
  /** router_settings.retry_policy: retries per error class, overriding numRetries. */
  retryPolicy: PerErrorClass | undefined;
  /** router_settings.model_group_retry_policy: a group's own retry policy, in place of retryPolicy. */
  groupRetryPolicies: Map<string, PerErrorClass>;
  /** Full-jitter exponential backoff: rand(0, min(max, base · 2^retry)). */
  retryBaseMs: number;
  retryMaxMs: number;
  /** router_settings.retry_after: the shortest wait before a retry. */
  retryMinMs: number;
  /** A Retry-After longer than this is not waited for; the router moves on (another deployment, a fallback). */
  maxRetryAfterMs: number;
  timeoutMs: number;
  streamTimeoutMs: number;
  streamIdleTimeoutMs: number;
  keepAliveIntervalMs: number;
  allowedFails: number;
  /** router_settings.allowed_fails_policy: allowed fails per error class, overriding allowedFails. */
  allowedFailsPolicy: PerErrorClass | undefined;
  cooldownMs: number;
  disableCooldowns: boolean;
  fallbacks: Map<string, string[]>;
  contextWindowFallbacks: Map<string, string[]>;
  contentPolicyFallbacks: Map<string, string[]>;
  defaultFallbacks: string[];
  maxFallbacks: number;
  dropParams: boolean;
  /** router_settings.enable_tag_filtering and tag_filtering_match_any. */
  tagFiltering: boolean;
  tagMatchAny: boolean;
  /** router_settings.enable_pre_call_checks: skip deployments whose context window is too small. */
  preCallChecks: boolean;
  /** router_settings.default_max_parallel_requests: the parallel limit of deployments without their own (0: none). */
  defaultMaxParallelRequests: number;
}

const SECOND = 1000;

function toMap(...lists: Array<FallbackList | undefined>): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const list of lists) {
    for (const entry of list ?? []) for (const [group, targets] of Object.entries(entry)) if (!map.has(group)) map.set(group, targets);
  }
  return map;
}

function strategyOf(name: string | undefined): RoutingStrategy {
  if (name === 'usage-based-routing-v2') return 'usage-based-routing';
  return (name as RoutingStrategy | undefined) ?? 'simple-shuffle';
}

export function readRoutingSettings(config: GatewayConfig): RoutingSettings {
  const router = config.router_settings ?? {};
  const litellm = config.litellm_settings ?? {};
  const args = router.routing_strategy_args ?? {};
  const buffer = typeof args.lowest_latency_buffer === 'number' ? args.lowest_latency_buffer : 0;
  return {
    strategy: strategyOf(router.routing_strategy),
    lowestLatencyBuffer: buffer,
    numRetries: Math.max(0, Math.floor(router.num_retries ?? litellm.num_retries ?? 2)),
    retryPolicy: readPerErrorClass(router.retry_policy, 'Retries'),
    groupRetryPolicies: new Map(Object.entries(router.model_group_retry_policy ?? {}).map(([group, policy]) => [group, readPerErrorClass(policy, 'Retries')!])),
    retryBaseMs: 500,
    retryMaxMs: 8 * SECOND,
    retryMinMs: (router.retry_after ?? 0) * SECOND,
    maxRetryAfterMs: 60 * SECOND,
    timeoutMs: (router.timeout ?? litellm.request_timeout ?? 600) * SECOND,
    streamTimeoutMs: (router.stream_timeout ?? 120) * SECOND,
    streamIdleTimeoutMs: (router.stream_idle_timeout ?? 120) * SECOND,
    keepAliveIntervalMs: (router.keep_alive_interval ?? 15) * SECOND,
    allowedFails: router.allowed_fails ?? 3,
    allowedFailsPolicy: readPerErrorClass(router.allowed_fails_policy, 'AllowedFails'),
    cooldownMs: (router.cooldown_time ?? 5) * SECOND,
    disableCooldowns: router.disable_cooldowns ?? false,
    fallbacks: toMap(router.fallbacks, litellm.fallbacks),
    contextWindowFallbacks: toMap(router.context_window_fallbacks, litellm.context_window_fallbacks),
    contentPolicyFallbacks: toMap(router.content_policy_fallbacks, litellm.content_policy_fallbacks),
    defaultFallbacks: router.default_fallbacks ?? litellm.default_fallbacks ?? [],
    maxFallbacks: router.max_fallbacks ?? 5,
    dropParams: litellm.drop_params ?? false,
    tagFiltering: router.enable_tag_filtering ?? false,
    tagMatchAny: router.tag_filtering_match_any ?? true,
    preCallChecks: router.enable_pre_call_checks ?? false,
    defaultMaxParallelRequests: router.default_max_parallel_requests ?? 0,
  };
}
