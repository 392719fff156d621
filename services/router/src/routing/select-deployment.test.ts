import type { LitellmParams } from '@sluice/common';
import { describe, expect, test } from 'vitest';
import type { Deployment } from '../providers/provider-adapter.js';
import { DeploymentStats } from './deployment-stats.js';
import { selectDeployment } from './select-deployment.js';

function deployment(id: string, params: Partial<LitellmParams> = {}): Deployment {
  return { id, modelGroup: 'g', provider: 'openai', model: 'm', apiBase: 'https://x', apiBaseHost: 'x', apiKey: undefined, params: { model: 'openai/m', ...params }, info: {} };
}

/** A random source that walks evenly through [0, 1), so weighted picks are exact proportions. */
function evenRandom(steps: number): () => number {
  let index = 0;
  return () => (index++ % steps) / steps;
}

function counts(pick: () => Deployment | undefined, times: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (let index = 0; index < times; index += 1) {
    const chosen = pick()!.id;
    out[chosen] = (out[chosen] ?? 0) + 1;
  }
  return out;
}

describe('simple-shuffle', () => {
  const settings = { strategy: 'simple-shuffle' as const, lowestLatencyBuffer: 0 };

  test('weighted by weight', () => {
    const pool = [deployment('a', { weight: 1 }), deployment('b', { weight: 3 })];
    const random = evenRandom(100);
    expect(counts(() => selectDeployment(pool, settings, new DeploymentStats(), random), 100)).toEqual({ a: 25, b: 75 });
  });

  test('by rpm when no weight is set, uniform when nothing is', () => {
    const byRpm = [deployment('a', { rpm: 100 }), deployment('b', { rpm: 900 })];
    const random = evenRandom(100);
    expect(counts(() => selectDeployment(byRpm, settings, new DeploymentStats(), random), 100)).toEqual({ a: 10, b: 90 });
    const plain = [deployment('a'), deployment('b')];
    expect(counts(() => selectDeployment(plain, settings, new DeploymentStats(), random), 100)).toEqual({ a: 50, b: 50 });
  });

  test('the lowest order goes first', () => {
    const pool = [deployment('primary', { order: 1 }), deployment('secondary', { order: 2 })];
    expect(counts(() => selectDeployment(pool, settings, new DeploymentStats(), Math.random), 50)).toEqual({ primary: 50 });
    expect(selectDeployment([], settings, new DeploymentStats())).toBeUndefined();
  });
});

test('least-busy picks the deployment with the fewest requests in flight', () => {
  const stats = new DeploymentStats();
  stats.started('a');
  stats.started('a');
  stats.started('b');
  const pool = [deployment('a'), deployment('b'), deployment('c')];
  expect(selectDeployment(pool, { strategy: 'least-busy', lowestLatencyBuffer: 0 }, stats)!.id).toBe('c');
  stats.started('c');
  stats.started('c');
  stats.ended('a');
  stats.ended('a');
  expect(selectDeployment(pool, { strategy: 'least-busy', lowestLatencyBuffer: 0 }, stats)!.id).toBe('a');
});

test('latency-based-routing picks the fastest, measures unmeasured ones first, and spreads within the buffer', () => {
  const stats = new DeploymentStats();
  const pool = [deployment('slow'), deployment('fast'), deployment('new')];
  stats.latency('slow', 900);
  stats.latency('fast', 100);
  expect(selectDeployment(pool, { strategy: 'latency-based-routing', lowestLatencyBuffer: 0 }, stats)!.id).toBe('new');
  stats.latency('new', 105);
  expect(selectDeployment(pool, { strategy: 'latency-based-routing', lowestLatencyBuffer: 0 }, stats)!.id).toBe('fast');
  const random = evenRandom(10);
  expect(counts(() => selectDeployment(pool, { strategy: 'latency-based-routing', lowestLatencyBuffer: 0.1 }, stats, random), 10)).toEqual({ fast: 5, new: 5 });
});

test('usage-based-routing picks the least used this minute and skips deployments at their rpm/tpm while others are under', () => {
  let now = 0;
  const stats = new DeploymentStats(() => now);
  const pool = [deployment('a', { rpm: 2 }), deployment('b', { tpm: 1000 })];
  stats.started('a');
  stats.tokens('a', 10);
  stats.started('b');
  stats.tokens('b', 500);
  const settings = { strategy: 'usage-based-routing' as const, lowestLatencyBuffer: 0 };
  expect(selectDeployment(pool, settings, stats)!.id).toBe('a');
  stats.started('a');
  expect(selectDeployment(pool, settings, stats)!.id).toBe('b');
  stats.tokens('b', 600);
  // Both over by the statistics: the least used is tried, and the exact deployment limits decide.
  expect(selectDeployment(pool, settings, stats)!.id).toBe('a');
  now += 60_000;
  stats.tokens('a', 50);
  expect(selectDeployment(pool, settings, stats)!.id).toBe('b');
});
