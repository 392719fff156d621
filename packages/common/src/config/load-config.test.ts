import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfigFile, parseConfig } from './load-config.js';

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'sluice-config-test-')), 'config.yaml');
  writeFileSync(path, text);
  return path;
}

describe('LiteLLM config files', () => {
  test('a LiteLLM config loads unchanged, with os.environ/ values resolved and numbers converted', () => {
    const path = file(`
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/OPENAI_API_KEY
      rpm: os.environ/GPT4O_RPM
    model_info:
      id: primary
router_settings:
  routing_strategy: simple-shuffle
  fallbacks: [{"gpt-4o": ["claude"]}]
  some_setting_we_do_not_use: true
litellm_settings:
  drop_params: true
general_settings:
  master_key: os.environ/MASTER
`);
    const { config, missingEnv } = loadConfigFile(path, { OPENAI_API_KEY: 'sk-x', GPT4O_RPM: '500', MASTER: 'sk-master' });
    expect(missingEnv).toEqual([]);
    expect(config.model_list[0]!.litellm_params.api_key).toBe('sk-x');
    expect(config.model_list[0]!.litellm_params.rpm).toBe(500);
    expect(config.general_settings?.master_key).toBe('sk-master');
    expect(config.router_settings?.fallbacks).toEqual([{ 'gpt-4o': ['claude'] }]);
  });

  test('an unset os.environ/ name is reported and left out', () => {
    const { config, missingEnv } = parseConfig(
      { model_list: [{ model_name: 'm', litellm_params: { model: 'openai/m', api_key: 'os.environ/NOPE' } }] },
      {},
    );
    expect(missingEnv).toEqual(['NOPE']);
    expect(config.model_list[0]!.litellm_params.api_key).toBeUndefined();
  });

  test('a bad field stops loading with a message naming it', () => {
    expect(() => parseConfig({ model_list: [{ model_name: 'm', litellm_params: { model: 'openai/m', rpm: 'lots' } }] }, {})).toThrow(
      /model_list\[0\]\.litellm_params\.rpm/,
    );
    expect(() => parseConfig({ model_list: [{ litellm_params: { model: 'openai/m' } }] }, {})).toThrow(/model_list\[0\]/);
    expect(() => parseConfig({ model_list: [{ model_name: 'm', litellm_params: { model: 'gpt-4o' } }] }, {})).toThrow(
      /model_list\[0\]\.litellm_params\.model: expected "<provider>\/<model>"/,
    );
    expect(() => parseConfig({ router_settings: { routing_strategy: 'fastest' } }, {})).toThrow(ConfigError);
    expect(() => parseConfig({ general_settings: { disable_admin_ui: 'yes' } }, {})).toThrow(/disable_admin_ui/);
    expect(parseConfig({ general_settings: { disable_admin_ui: true } }, {}).config.general_settings?.disable_admin_ui).toBe(true);
  });

  test('unreadable and non-YAML files fail readably', () => {
    expect(() => loadConfigFile('/nonexistent/config.yaml', {})).toThrow(/cannot read config file/);
    expect(() => loadConfigFile(file('model_list: [\n'), {})).toThrow(/not valid YAML/);
  });
});
