// The Grafana dashboard in deploy/grafana is built from the metrics the services really expose: every
// metric a panel queries is one a service renders, and the panels the operators need are there.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger, createMemoryUsageBus, instrumentSql, type MetricRegistry, registerConsumerLag, type Sql } from '@sluice/common';
import { parsePrometheusText, REPOSITORY_ROOT } from '@sluice/testing';
import { describe, expect, test } from 'vitest';
import { AccountingMetrics } from '../services/accounting/src/observability/ledger-observer.js';
import { EdgeMetrics } from '../services/edge/src/observability/edge-metrics.js';
import { InflightRequests } from '../services/edge/src/proxy/inflight-requests.js';
import { PolicyMetrics } from '../services/policy/src/observability/policy-metrics.js';
import { WatchedScopes } from '../services/policy/src/observability/watched-scopes.js';
import { RouterObserver } from '../services/router/src/observability/router-observer.js';

interface Panel {
  type: string;
  title: string;
  targets?: Array<{ expr: string }>;
  gridPos: { x: number; y: number; w: number; h: number };
}

const dashboard = JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'deploy/grafana/sluice-dashboard.json'), 'utf8')) as {
  uid: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string }> };
};

/** Every family name the four services expose (registries built as the services build them). */
async function exposedFamilies(): Promise<Set<string>> {
  const logger = createLogger({ service: 'test', level: 'silent' });
  const bus = createMemoryUsageBus(logger);
  const policy = new PolicyMetrics();
  policy.watch(new WatchedScopes({ read: async () => [] } as never, Date.now));
  const accounting = new AccountingMetrics(undefined, 'usage');
  // What accounting-service.ts adds to its registry besides its own families.
  registerConsumerLag(accounting.registry, bus, 'accounting');
  instrumentSql({} as Sql, accounting.registry);
  const registries: MetricRegistry[] = [
    new EdgeMetrics({ modelGroups: [], inflight: new InflightRequests(), publisher: bus.publisher }).registry,
    policy.registry,
    new RouterObserver(undefined, { deployments: [], coolingDown: () => false }).registry,
    accounting.registry,
  ];
  const names = new Set<string>();
  for (const registry of registries) for (const name of parsePrometheusText(await registry.render()).keys()) names.add(name);
  return names;
}

const KEYWORDS = new Set(['sum', 'by', 'rate', 'max', 'min', 'topk', 'histogram_quantile', 'clamp_min', 'le', 'without', 'increase', 'avg']);

describe('deploy/grafana/sluice-dashboard.json', () => {
  test('every metric a panel queries is exposed by a service', async () => {
    const exposed = await exposedFamilies();
    const queried = new Set<string>();
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) {
        const withoutStrings = target.expr.replace(/"[^"]*"/g, '""').replace(/\{[^}]*\}/g, '').replace(/\[[^\]]*\]/g, '');
        for (const [word] of withoutStrings.matchAll(/[a-z_][a-z0-9_]*/g)) {
          if (KEYWORDS.has(word) || !/_(total|seconds|bytes|usd|messages|down|limit|remaining|pending)(_bucket|_sum|_count)?$|^sluice_/.test(word)) continue;
          queried.add(word.replace(/_(bucket|sum|count)$/, ''));
        }
      }
    }
    expect(queried.size).toBeGreaterThan(20);
    for (const name of queried) expect(exposed, name).toContain(name);
  });

  test('has the panels operators need, on a Prometheus datasource variable, without overlaps', () => {
    const titles = dashboard.panels.map((panel) => panel.title);
    for (const wanted of [
      'Traffic by route and status',
      'Gateway overhead',
      'Time to first token by model group',
      'Upstream errors by provider',
      'Spend by team (USD per hour)',
      'Limit rejections',
      'Consumer lag',
    ]) {
      expect(titles).toContain(wanted);
    }
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource' }));
    const cells = new Set<string>();
    for (const panel of dashboard.panels) {
      const { x, y, w, h } = panel.gridPos;
      expect(x + w, panel.title).toBeLessThanOrEqual(24);
      for (let row = y; row < y + h; row += 1) {
        for (let column = x; column < x + w; column += 1) {
          const cell = `${row}:${column}`;
          expect(cells.has(cell), `${panel.title} overlaps another panel`).toBe(false);
          cells.add(cell);
        }
      }
    }
  });
});
