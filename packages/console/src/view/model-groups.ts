// GET /model/info (LiteLLM's shape: one entry per deployment) grouped into model groups for the Models page.

export interface DeploymentInfo {
  model_name: string;
  litellm_params: { model: string };
  model_info: {
    id: string;
    api_base_host?: string;
    mode?: string;
    provider?: string;
    cooling_down?: boolean;
    cooldown_remaining_ms?: number;
    recent_requests?: number;
    recent_failures?: number;
  };
}

export interface ModelGroup {
  name: string;
  deployments: DeploymentInfo[];
  coolingDown: number;
  requests: number;
  failures: number;
}

/** Failures over requests as a percentage ("4.2%"); "—" without requests. */
export function formatErrorRate(failures: number, requests: number): string {
  if (requests <= 0) return '—';
  const percent = (failures / requests) * 100;
  return `${percent < 10 && percent !== 0 ? percent.toFixed(1) : Math.round(percent)}%`;
}

export function groupDeployments(deployments: readonly DeploymentInfo[]): ModelGroup[] {
  const groups = new Map<string, ModelGroup>();
  for (const deployment of deployments) {
    let group = groups.get(deployment.model_name);
    if (!group) {
      group = { name: deployment.model_name, deployments: [], coolingDown: 0, requests: 0, failures: 0 };
      groups.set(deployment.model_name, group);
    }
    group.deployments.push(deployment);
    if (deployment.model_info.cooling_down) group.coolingDown += 1;
    group.requests += deployment.model_info.recent_requests ?? 0;
    group.failures += deployment.model_info.recent_failures ?? 0;
  }
  return [...groups.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** "up", "degraded" (some deployments cooling down) or "down" (all of them). */
export function groupHealth(group: ModelGroup): 'up' | 'degraded' | 'down' {
  if (group.coolingDown === 0) return 'up';
  return group.coolingDown >= group.deployments.length ? 'down' : 'degraded';
}
