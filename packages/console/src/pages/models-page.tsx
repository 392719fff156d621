import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { type DeploymentInfo, formatErrorRate, groupDeployments, groupHealth, type ModelGroup } from '../view/model-groups.js';

export function ModelsPage() {
  const [groups, setGroups] = useState<ModelGroup[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    api.get<{ data: DeploymentInfo[] }>('/model/info').then(
      (answer) => {
        setGroups(groupDeployments(answer.data));
        setError(undefined);
      },
      (failure: Error) => setError(failure.message),
    );
  }, [tick]);
  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">Models</h1>
        <button type="button" onClick={() => setTick(tick + 1)}>Refresh</button>
      </div>
      <p class="muted">Cooldowns are shared by every router replica; error rates are this minute and the last, as one router replica saw them.</p>
      {error ? <p class="error" role="alert">{error}</p> : null}
      <div class="cards">
        {(groups ?? []).map((group) => {
          const health = groupHealth(group);
          return (
            <article class="card" key={group.name} aria-labelledby={`group-${group.name}`}>
              <header>
                <h2 id={`group-${group.name}`}>{group.name}</h2>
                <span class={`badge ${health === 'up' ? 'ok' : 'blocked'}`}>{health}</span>
              </header>
              <p class="muted">{group.deployments.length} deployment{group.deployments.length === 1 ? '' : 's'} · error rate {formatErrorRate(group.failures, group.requests)}</p>
              <div class="table-wrap">
                <table>
                  <caption class="visually-hidden">Deployments of {group.name}</caption>
                  <thead>
                    <tr><th scope="col">Deployment</th><th scope="col">Provider model</th><th scope="col">State</th><th scope="col" class="numeric">Requests</th><th scope="col" class="numeric">Errors</th></tr>
                  </thead>
                  <tbody>
                    {group.deployments.map((deployment) => (
                      <tr key={deployment.model_info.id}>
                        <td data-label="Deployment"><code>{deployment.model_info.id}</code><br /><span class="muted">{deployment.model_info.api_base_host ?? ''}</span></td>
                        <td data-label="Provider model">{deployment.litellm_params.model}</td>
                        <td data-label="State">
                          {deployment.model_info.cooling_down ? (
                            <span class="badge blocked">cooling down, {Math.ceil((deployment.model_info.cooldown_remaining_ms ?? 0) / 1000)} s left</span>
                          ) : (
                            <span class="badge ok">ready</span>
                          )}
                        </td>
                        <td data-label="Requests" class="numeric">{deployment.model_info.recent_requests ?? 0}</td>
                        <td data-label="Errors" class="numeric">{formatErrorRate(deployment.model_info.recent_failures ?? 0, deployment.model_info.recent_requests ?? 0)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </article>
          );
        })}
      </div>
      {groups && groups.length === 0 ? <p class="muted">No models are configured.</p> : null}
    </section>
  );
}
