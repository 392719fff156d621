import type { MetricRegistry } from '../metrics/metric-registry.js';

export type ConfigReloadResult = 'applied' | 'refused';

// One config per process (embedded mode runs four services on it), so the counts are process-wide and
// every service's registry shows them.
const counts: Record<ConfigReloadResult, number> = { applied: 0, refused: 0 };
/** The config loaded at start-up counts as the first success. */
let lastSuccessSeconds = Date.now() / 1000;

export function recordConfigReload(result: ConfigReloadResult, now = Date.now()): void {
  counts[result] += 1;
  if (result === 'applied') lastSuccessSeconds = now / 1000;
}

export function registerConfigReloadMetrics(registry: MetricRegistry): void {
  registry.sampled(
    'sluice_config_reload_total',
    'Config reloads (file change or SIGHUP): applied, or refused (the running config stays).',
    'counter',
    ['result'],
    () => [
      [['applied'], counts.applied],
      [['refused'], counts.refused],
    ],
  );
  registry.sampled(
    'sluice_config_last_reload_success_timestamp_seconds',
    'When the running config was loaded (start-up or the last applied reload), seconds since the Unix epoch.',
    'gauge',
    [],
    () => [[[], lastSuccessSeconds]],
  );
}
