import type { Deployment } from '../providers/provider-adapter.js';
import type { DeploymentStats } from './deployment-stats.js';
import type { RoutingSettings } from './routing-settings.js';

export type Random = () => number;

/** USD per million prompt plus completion tokens of a deployment, for cost-based-routing. */
export type CostOf = (deployment: Deployment) => number;

/**
 * LiteLLM's price for a deployment whose price is unknown: $1 a token for input and for output (femto-USD
 * per token, packages/pricing's unit), so priced ones come first.
 */
export const UNKNOWN_COST = 2 * 1_000_000_000_000_000;

function weightedPick(deployments: readonly Deployment[], weights: number[], random: Random): Deployment {
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  if (total <= 0) return deployments[Math.floor(random() * deployments.length)]!;
  let point = random() * total;
  for (let index = 0; index < deployments.length; index += 1) {
    point -= weights[index]!;
    if (point < 0) return deployments[index]!;
  }
  return deployments.at(-1)!;
}

function randomOf(deployments: readonly Deployment[], random: Random): Deployment {
  return deployments[Math.floor(random() * deployments.length)]!;
}

/** simple-shuffle: weighted by `weight` when any deployment sets it, else by `rpm`, else by `tpm`, else uniform. */
function shuffle(deployments: readonly Deployment[], random: Random): Deployment {
  for (const field of ['weight', 'rpm', 'tpm'] as const) {
    if (deployments.some((deployment) => typeof deployment.params[field] === 'number')) {
      return weightedPick(deployments, deployments.map((deployment) => deployment.params[field] ?? 0), random);
    }
  }
  return randomOf(deployments, random);
}

function lowest(deployments: readonly Deployment[], score: (deployment: Deployment) => number, random: Random, buffer = 0): Deployment {
  const scores = deployments.map(score);
  const best = Math.min(...scores);
  const within = deployments.filter((_, index) => scores[index]! <= best * (1 + buffer));
  return randomOf(within, random);
}

/**
 * Picks the deployment for the next attempt among the healthy ones (not cooling down): those with the
 * lowest `order` first, then by the routing strategy. Undefined when none is left.
 */
export function selectDeployment(
  candidates: readonly Deployment[],
  settings: Pick<RoutingSettings, 'strategy' | 'lowestLatencyBuffer'>,
  stats: DeploymentStats,
  random: Random = Math.random,
  costOf: CostOf = () => UNKNOWN_COST,
): Deployment | undefined {
  if (candidates.length === 0) return undefined;
  const firstOrder = Math.min(...candidates.map((deployment) => deployment.params.order ?? Number.MAX_SAFE_INTEGER));
  let pool = candidates.filter((deployment) => (deployment.params.order ?? Number.MAX_SAFE_INTEGER) === firstOrder);
  if (pool.length === 1) return pool[0];
  switch (settings.strategy) {
    case 'least-busy':
      return lowest(pool, (deployment) => stats.inFlight(deployment.id), random);
    case 'latency-based-routing':
      // A deployment without a measurement yet counts as fastest, so every one gets measured.
      return lowest(pool, (deployment) => stats.latencyMs(deployment.id) ?? 0, random, settings.lowestLatencyBuffer);
    case 'usage-based-routing': {
      const underLimits = pool.filter((deployment) => {
        const usage = stats.minuteUsage(deployment.id);
        const { rpm, tpm } = deployment.params;
        return (rpm === undefined || usage.requests < rpm) && (tpm === undefined || usage.tokens < tpm);
      });
      // When the statistics say every one is at its limits, the exact limits (deployment-limits.ts) decide:
      // the statistics are a second or so old, and a refusal there is LiteLLM's 429, not an outage.
      if (underLimits.length > 0) pool = underLimits;
      return lowest(pool, (deployment) => stats.minuteUsage(deployment.id).tokens, random);
    }
    case 'cost-based-routing':
      return lowest(pool, costOf, random);
    default:
      return shuffle(pool, random);
  }
}
