import { ProjectedVolume } from '@sluice/testing';
import { afterEach, describe, expect, test } from 'vitest';
import { pino } from 'pino';
import { loadSettings } from '../settings.js';
import type { GatewayConfig } from './config-schema.js';
import { type ConfigReloader, startConfigReloader } from './config-reloader.js';
import { loadConfigFile } from './load-config.js';
import { keepRestartOnlySettings } from './restart-only-settings.js';

const modelList = (apiBase: string, apiKey = 'os.environ/UNUSED') => ({
  model_list: [{ model_name: 'm1', litellm_params: { model: 'openai/gpt-4o', api_base: apiBase, api_key: apiKey } }],
});

interface Harness {
  applied: GatewayConfig[];
  lines: Array<{ msg: string; [field: string]: unknown }>;
  reloader: ConfigReloader;
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function start(configPath: string, options: { refuse?: (config: GatewayConfig) => boolean } = {}): Harness {
  const lines: Harness['lines'] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Harness['lines'][number]) });
  const settings = { ...loadSettings({ SLUICE_CONFIG: configPath, SLUICE_CONFIG_RELOAD_DEBOUNCE_MS: '50', SLUICE_CONFIG_POLL_INTERVAL_MS: '0' }) };
  const applied: GatewayConfig[] = [];
  const reloader = startConfigReloader({
    settings,
    logger,
    initial: loadConfigFile(configPath, settings.env),
    apply: async (config) => {
      if (options.refuse?.(config)) throw new Error('the service refuses this config');
      applied.push(config);
    },
  });
  cleanups.push(() => reloader.close());
  return { applied, lines, reloader };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('live config reload', () => {
  test('a ConfigMap-style swap of ..data is seen once (debounced), and the new config applied', async () => {
    const volume = new ProjectedVolume({ 'config.yaml': JSON.stringify(modelList('http://127.0.0.1:1/v1')) });
    cleanups.push(() => volume.remove());
    const harness = start(volume.path('config.yaml'));
    volume.update({ 'config.yaml': JSON.stringify(modelList('http://127.0.0.1:2/v1')) });
    await until(() => harness.applied.length === 1, 'the reload');
    expect(harness.applied[0]!.model_list[0]!.litellm_params.api_base).toBe('http://127.0.0.1:2/v1');
    // The swap is several file events; the debounce turns them into one reload, and nothing more comes.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(harness.applied).toHaveLength(1);
    expect(harness.lines.filter((line) => line.msg === 'config reloaded')).toHaveLength(1);
  });

  test('the same content again changes nothing; SIGHUP (force) applies it anyway', async () => {
    const volume = new ProjectedVolume({ 'config.yaml': JSON.stringify(modelList('http://127.0.0.1:1/v1')) });
    cleanups.push(() => volume.remove());
    const harness = start(volume.path('config.yaml'));
    expect(await harness.reloader.reload('poll')).toBe('unchanged');
    expect(await harness.reloader.reload('SIGHUP', true)).toBe('applied');
    expect(harness.applied).toHaveLength(1);
  });

  test('a rotated os.file/ secret reloads the config with the new value (trailing newline dropped)', async () => {
    const secrets = new ProjectedVolume({ 'openai-key': 'sk-first\n' });
    const config = new ProjectedVolume({ 'config.yaml': JSON.stringify(modelList('http://127.0.0.1:1/v1', `os.file/${secrets.path('openai-key')}`)) });
    cleanups.push(() => secrets.remove(), () => config.remove());
    const harness = start(config.path('config.yaml'));
    secrets.update({ 'openai-key': 'sk-second\n' });
    await until(() => harness.applied.length === 1, 'the reload');
    expect(harness.applied[0]!.model_list[0]!.litellm_params.api_key).toBe('sk-second');
  });

  test('a bad config is refused with one log line, the same bad file is not reported again, and a good one then applies', async () => {
    const volume = new ProjectedVolume({ 'config.yaml': JSON.stringify(modelList('http://127.0.0.1:1/v1')) });
    cleanups.push(() => volume.remove());
    const harness = start(volume.path('config.yaml'), { refuse: (config) => config.model_list.length > 1 });
    volume.update({ 'config.yaml': '{"model_list": "not a list"}' });
    await until(() => harness.lines.some((line) => line.msg.startsWith('config reload refused')), 'the refusal');
    expect(await harness.reloader.reload('poll')).toBe('unchanged');
    expect(harness.lines.filter((line) => line.msg.startsWith('config reload refused'))).toHaveLength(1);
    expect(harness.lines.find((line) => line.msg.startsWith('config reload refused'))!.error).toContain('model_list');
    // The service's own checks refuse too (the router's provider and alias checks).
    const two = modelList('http://127.0.0.1:3/v1');
    two.model_list.push({ ...two.model_list[0]!, model_name: 'm2' });
    volume.update({ 'config.yaml': JSON.stringify(two) });
    await until(() => harness.lines.filter((line) => line.msg.startsWith('config reload refused')).length === 2, 'the second refusal');
    expect(harness.applied).toHaveLength(0);
    volume.update({ 'config.yaml': JSON.stringify(modelList('http://127.0.0.1:4/v1')) });
    await until(() => harness.applied.length === 1, 'the good reload');
  });

  test('restart-only settings keep their running value and are reported as needing a restart', () => {
    const running = { model_list: [], general_settings: { database_url: 'postgres://a/db', master_key: 'sk-a' } } as GatewayConfig;
    const next = { model_list: [], general_settings: { database_url: 'postgres://b/db', master_key: 'sk-a' }, litellm_settings: { cache: true } } as GatewayConfig;
    const { config, needsRestart } = keepRestartOnlySettings(running, next);
    expect(needsRestart).toEqual(['general_settings.database_url']);
    expect(config.general_settings?.database_url).toBe('postgres://a/db');
    expect(config.litellm_settings?.cache).toBe(true);
  });
});
