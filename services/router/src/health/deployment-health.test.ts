import { createLogger, MetricRegistry, parseConfig } from '@sluice/common';
import { type FakeProvider, loadJsonFixture, startFakeProvider } from '@sluice/testing';
import { afterEach, describe, expect, test } from 'vitest';
import type { Deployment } from '../providers/provider-adapter.js';
import { buildModelRegistry } from '../routing/model-registry.js';
import { readRoutingSettings } from '../routing/routing-settings.js';
import { type ModelHealth, startModelHealth } from './deployment-health.js';

const logger = createLogger({ service: 'test', level: 'silent' });
const recorded = loadJsonFixture<Record<string, unknown>>('vercel-ai', 'openai__chat__openai-text');
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function setUp(generalSettings: Record<string, unknown>, coolingDown: (id: string) => boolean = () => false) {
  const providers: FakeProvider[] = [];
  for (let index = 0; index < 2; index += 1) {
    const provider = await startFakeProvider(() => ({ json: recorded }));
    providers.push(provider);
    cleanups.push(() => provider.close());
  }
  const { config } = parseConfig({
    model_list: providers.map((provider, index) => ({
      model_name: 'chat',
      litellm_params: { model: `openai/model-${index}`, api_base: `${provider.url}/v1`, api_key: 'sk-x' },
      model_info: { id: `d${index}` },
    })),
    general_settings: generalSettings,
  }, {});
  const registry = buildModelRegistry(config);
  const deployments: Deployment[] = registry.group('chat')!.slice();
  const metrics = new MetricRegistry();
  const health: ModelHealth = startModelHealth({ config, registry, deployments, settings: readRoutingSettings(config), coolingDown, metrics, logger });
  cleanups.push(() => health.stop());
  const states = async () => {
    const text = await metrics.render();
    return [...text.matchAll(/sluice_deployment_state\{[^}]*deployment="(d\d)"[^}]*state="(\w+)"\} 1/g)].map((match) => `${match[1]}=${match[2]}`).sort();
  };
  return { providers, health, states };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

describe('background health checks', () => {
  test('run every health_check_interval and keep each deployment\'s state; /health answers from them', async () => {
    const { providers, health, states } = await setUp({ background_health_checks: true, health_check_interval: 1 });
    // The first round runs at start, before anyone asks.
    await eventually(() => providers.every((provider) => provider.requests.length === 1));
    await eventually(async () => (await states()).length === 2);
    expect(await states()).toEqual(['d0=up', 'd1=up']);

    providers[1]!.respondWith(() => ({ status: 500, json: { error: { message: 'down', type: 'server_error' } } }));
    await eventually(async () => (await states()).includes('d1=failing'));
    expect(await states()).toEqual(['d0=up', 'd1=failing']);
    expect(providers[1]!.requests.length).toBeGreaterThanOrEqual(2);
    const before = providers.map((provider) => provider.requests.length);
    const answer = await health.check('');
    // Answered from the latest round: no extra requests.
    expect(providers.map((provider) => provider.requests.length)).toEqual(before);
    expect(answer.healthy.map((deployment) => deployment.deploymentId)).toEqual(['d0']);
    expect(answer.unhealthy.map((deployment) => [deployment.deploymentId, deployment.state])).toEqual([['d1', 'failing']]);
    expect(answer.unhealthy[0]!.error).toMatch(/^upstream_/);
  });

  test('without background checks nothing is sent until asked', async () => {
    const { providers, health } = await setUp({});
    await sleep(200);
    expect(providers.map((provider) => provider.requests.length)).toEqual([0, 0]);
    const answer = await health.check('chat');
    expect(answer.healthy).toHaveLength(2);
    expect(providers.map((provider) => provider.requests.length)).toEqual([1, 1]);
  });

  test('a deployment cooling down reports cooldown, whatever its last check said', async () => {
    const { states, health } = await setUp({}, (id) => id === 'd0');
    await health.check('');
    expect(await states()).toEqual(['d0=cooldown', 'd1=up']);
  });
});

test('a deployment is checked through its own adapter: an azure/responses model at the Responses API', async () => {
  const responses = loadJsonFixture<Record<string, unknown>>('vercel-ai', 'openai__responses__openai-reasoning-encrypted-content.1');
  const provider = await startFakeProvider(() => ({ json: responses }));
  cleanups.push(() => provider.close());
  const { config } = parseConfig(
    {
      model_list: [
        { model_name: 'codex', litellm_params: { model: 'azure/responses/gpt-5-codex', api_base: provider.url, api_key: 'sk-x' }, model_info: { id: 'codex-1' } },
      ],
    },
    {},
  );
  const registry = buildModelRegistry(config);
  const health = startModelHealth({ config, registry, deployments: registry.group('codex')!.slice(), settings: readRoutingSettings(config), coolingDown: () => false, metrics: new MetricRegistry(), logger });
  cleanups.push(() => health.stop());
  const answer = await health.check('codex');
  expect(provider.requests.map((request) => request.path.split('?')[0])).toEqual(['/openai/responses']);
  expect(answer.healthy.map((deployment) => deployment.deploymentId)).toEqual(['codex-1']);
});
