import { expect, test } from 'vitest';
import { MemoryCooldownStore } from './cooldown-store.js';
import { DeploymentStats } from './deployment-stats.js';

test('recent attempts and failures cover this minute and the one before, and forget older ones', () => {
  let now = 60_000 * 100 + 30_000;
  const stats = new DeploymentStats(() => now);
  for (let index = 0; index < 4; index += 1) stats.started('d');
  stats.failed('d');
  expect(stats.recent('d')).toEqual({ requests: 4, failures: 1 });
  now += 60_000;
  stats.started('d');
  stats.failed('d');
  expect(stats.recent('d')).toEqual({ requests: 5, failures: 2 });
  // Per-minute usage (usage-based routing) still counts only the current minute.
  expect(stats.minuteUsage('d').requests).toBe(1);
  now += 120_000;
  expect(stats.recent('d')).toEqual({ requests: 0, failures: 0 });
});

test('a cooldown reports the time it has left, and 0 once it is over', async () => {
  let now = 1_000_000;
  const store = new MemoryCooldownStore(() => now);
  expect(store.remainingMs('d')).toBe(0);
  await store.recordFailure({ deploymentId: 'd', allowedFails: 0, cooldownMs: 5_000, immediate: true });
  now += 2_000;
  expect(store.remainingMs('d')).toBe(3_000);
  now += 3_000;
  expect(store.remainingMs('d')).toBe(0);
});
