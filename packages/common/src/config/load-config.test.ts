import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfigFile, parseConfig } from './load-config.js';
import { inferProvider } from './infer-provider.js';
import { loadSettings } from '../settings.js';
import { settingsWithConfig } from './settings-with-config.js';

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
    expect(() => parseConfig({ model_list: [{ model_name: 'm', litellm_params: { model: 'llama3' } }] }, {})).toThrow(
      /model_list\[0\]\.litellm_params\.model: cannot tell the provider of "llama3"/,
    );
    expect(() => parseConfig({ router_settings: { routing_strategy: 'fastest' } }, {})).toThrow(ConfigError);
    expect(() => parseConfig({ general_settings: { disable_admin_ui: 'yes' } }, {})).toThrow(/disable_admin_ui/);
    // LiteLLM's duration format ("7d", "24h", "1mo"); anything else would silently keep every row.
    expect(parseConfig({ general_settings: { maximum_spend_logs_retention_period: '7d', maximum_spend_logs_retention_interval: '24h' } }, {}).config.general_settings)
      .toMatchObject({ maximum_spend_logs_retention_period: '7d' });
    expect(() => parseConfig({ general_settings: { maximum_spend_logs_retention_period: '7 days' } }, {})).toThrow(/maximum_spend_logs_retention_period/);
    expect(parseConfig({ general_settings: { disable_admin_ui: true } }, {}).config.general_settings?.disable_admin_ui).toBe(true);
  });

  test('unreadable and non-YAML files fail readably', () => {
    expect(() => loadConfigFile('/nonexistent/config.yaml', {})).toThrow(/cannot read config file/);
    expect(() => loadConfigFile(file('model_list: [\n'), {})).toThrow(/not valid YAML/);
  });
});

describe('LiteLLM configs as LiteLLM reads them', () => {
  test('YAML 1.1: 20_000 is an integer, yes/no/on/off are booleans, a comments-only section is empty, dates stay text', () => {
    const path = file(`
model_list:
  - model_name: m
    litellm_params:
      model: azure/m
      api_base: https://example.openai.azure.com
      api_version: 2024-06-01
      tpm: 20_000
      drop_params: yes
router_settings:
  disable_cooldowns: on
litellm_settings:
  drop_params: off
general_settings:
  # master_key: sk-1234
`);
    const { config, warnings } = loadConfigFile(path, {});
    expect(config.model_list[0]!.litellm_params.tpm).toBe(20_000);
    expect(config.model_list[0]!.litellm_params.drop_params).toBe(true);
    expect(config.model_list[0]!.litellm_params.api_version).toBe('2024-06-01');
    expect(config.router_settings?.disable_cooldowns).toBe(true);
    expect(config.litellm_settings?.drop_params).toBe(false);
    expect(warnings).toEqual([]);
  });

  test('the provider of an unprefixed model comes from one table, or an api_base', () => {
    expect(inferProvider('gpt-5-mini', undefined)).toEqual({ provider: 'openai', model: 'gpt-5-mini', source: 'model name' });
    for (const name of ['gpt-3.5-turbo', 'o3', 'o1-mini', 'o4-mini', 'text-embedding-3-small', 'chatgpt-4o-latest', 'dall-e-3']) {
      expect(inferProvider(name, undefined)?.provider).toBe('openai');
    }
    expect(inferProvider('claude-3-5-sonnet-20241022', undefined)?.provider).toBe('anthropic');
    expect(inferProvider('gemini-2.0-flash', undefined)?.provider).toBe('gemini');
    expect(inferProvider('llama3', 'http://localhost:8000/v1')).toEqual({ provider: 'openai_like', model: 'llama3', source: 'api_base' });
    expect(inferProvider('openai/gpt-4o', undefined)).toEqual({ provider: 'openai', model: 'gpt-4o', source: 'prefix' });
    expect(inferProvider('o300', undefined)).toBeUndefined();
    expect(inferProvider('llama3', undefined)).toBeUndefined();
  });

  test('environment_variables feed os.environ/ references and win over the environment', () => {
    const { config } = parseConfig(
      {
        environment_variables: { OPENAI_KEY: 'sk-from-config', RPM: 60 },
        model_list: [{ model_name: 'm', litellm_params: { model: 'openai/m', api_key: 'os.environ/OPENAI_KEY', rpm: 'os.environ/RPM' } }],
      },
      { OPENAI_KEY: 'sk-from-env' },
    );
    expect(config.model_list[0]!.litellm_params.api_key).toBe('sk-from-config');
    expect(config.model_list[0]!.litellm_params.rpm).toBe(60);
  });

  test('model_group_alias loads in both forms', () => {
    const { config } = parseConfig(
      { model_list: [], router_settings: { model_group_alias: { a: 'gpt-4o', b: { model: 'gpt-4o', hidden: true } } } },
      {},
    );
    expect(config.router_settings?.model_group_alias).toEqual({ a: 'gpt-4o', b: { model: 'gpt-4o', hidden: true } });
  });

  test('redis_host / redis_port / redis_password: env variables, router_settings and a placeholder that is no number', () => {
    expect(loadSettings({ REDIS_HOST: 'redis.internal', REDIS_PORT: '6380', REDIS_PASSWORD: 'p@ss' }).redisUrl).toBe('redis://:p%40ss@redis.internal:6380');
    expect(loadSettings({ REDIS_URL: 'redis://a:1', REDIS_HOST: 'b' }).redisUrl).toBe('redis://a:1');
    expect(() => loadSettings({ REDIS_HOST: 'h', REDIS_PORT: 'six' })).toThrow(/REDIS_PORT/);
    const { config } = parseConfig(
      { router_settings: { redis_host: 'os.environ/H', redis_port: 'os.environ/P', redis_password: 'os.environ/W' } },
      { H: 'r.local', P: '7000', W: 'w' },
    );
    expect(settingsWithConfig(loadSettings({}), config).redisUrl).toBe('redis://:w@r.local:7000');
    expect(settingsWithConfig(loadSettings({ REDIS_URL: 'redis://env:1' }), config).redisUrl).toBe('redis://env:1');
    expect(() => parseConfig({ router_settings: { redis_host: 'h', redis_port: 'os.environ/P' } }, { P: 'abc' })).toThrow(/router_settings\.redis_port/);
    expect(() => parseConfig({ litellm_settings: { cache_params: { redis_port: 'os.environ/P' } } }, { P: 'abc' })).toThrow(
      /litellm_settings\.cache_params\.redis_port/,
    );
  });

  test("a Redis Cluster by LiteLLM's names: REDIS_CLUSTER_NODES, or router_settings.redis_startup_nodes", () => {
    const nodes = [{ host: '10.0.0.1', port: 7001 }, { host: 'redis-2.internal', port: 7002 }];
    const fromJson = loadSettings({ REDIS_CLUSTER_NODES: '[{"host": "10.0.0.1", "port": "7001"}, {"host": "redis-2.internal", "port": 7002}]', REDIS_PASSWORD: 'pw', REDIS_SSL: 'True' });
    expect(fromJson.redisCluster).toEqual({ nodes, username: undefined, password: 'pw', tls: true });
    expect(loadSettings({ REDIS_CLUSTER_NODES: '10.0.0.1:7001, redis-2.internal:7002' }).redisCluster).toEqual({ nodes, username: undefined, password: undefined, tls: false });
    expect(loadSettings({}).redisCluster).toBeUndefined();
    expect(() => loadSettings({ REDIS_CLUSTER_NODES: '[{"host": "a", "port": "x"}]' })).toThrow(/REDIS_CLUSTER_NODES/);
    expect(() => loadSettings({ REDIS_CLUSTER_NODES: '[]' })).toThrow(/at least one/);
    const { config } = parseConfig(
      { router_settings: { redis_startup_nodes: [{ host: 'os.environ/CLUSTER_HOST', port: '7001' }], redis_password: 'os.environ/W' } },
      { CLUSTER_HOST: '10.0.0.9', W: 'w' },
    );
    const configured = settingsWithConfig(loadSettings({}), config);
    expect(configured.redisCluster).toEqual({ nodes: [{ host: '10.0.0.9', port: 7001 }], username: undefined, password: 'w', tls: false });
    expect(configured.redisUrl).toBeUndefined();
    // The environment wins: a REDIS_URL (or REDIS_CLUSTER_NODES) set there is what every service uses.
    expect(settingsWithConfig(loadSettings({ REDIS_URL: 'redis://env:1' }), config).redisCluster).toBeUndefined();
    expect(() => parseConfig({ router_settings: { redis_startup_nodes: [] } }, {})).toThrow(/redis_startup_nodes/);
  });
});

describe('settings Sluice does not implement', () => {
  test('each recognised setting Sluice ignores is named in one warning line; unknown keys in another', () => {
    const { warnings } = parseConfig(
      {
        model_list: [{ model_name: 'm', litellm_params: { model: 'openai/m', region_name: 'eu' }, model_info: { health_check_model: 'x' } }],
        router_settings: { client_ttl: 10, some_new_setting: 1 },
        general_settings: { proxy_batch_write_at: 60 },
      },
      {},
    );
    expect(warnings).toEqual([
      'LiteLLM settings Sluice does not implement, ignored: model_list[0].litellm_params.region_name, model_list[0].model_info.health_check_model, router_settings.client_ttl, general_settings.proxy_batch_write_at',
      'unknown settings, ignored: router_settings.some_new_setting',
    ]);
  });

  test('security and spend settings stop start-up, naming each path', () => {
    const document = {
      guardrails: [{ guardrail_name: 'g' }],
      model_list: [],
      general_settings: { custom_auth: 'x.y', enable_jwt_auth: true, allowed_routes: ['/chat'], pass_through_endpoints: [], enforce_user_param: true },
      litellm_settings: { max_budget: 100 },
    };
    let message = '';
    try {
      parseConfig(document, {});
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    for (const path of [
      'guardrails',
      'general_settings.custom_auth',
      'general_settings.enable_jwt_auth',
      'general_settings.allowed_routes',
      'general_settings.pass_through_endpoints',
      'general_settings.enforce_user_param',
      'litellm_settings.max_budget',
    ]) {
      expect(message).toContain(`\n  ${path}`);
    }
    expect(message).toMatch(/sluice_ignore_unsupported/);
  });

  test('general_settings.sluice_ignore_unsupported lets named ones through, with a warning; the rest still refuse', () => {
    const base = { model_list: [{ model_name: 'm', litellm_params: { model: 'openai/m', input_cost_per_second: 0.1 } }] };
    const { warnings } = parseConfig(
      {
        ...base,
        general_settings: {
          custom_auth: 'x.y',
          sluice_ignore_unsupported: ['general_settings.custom_auth', 'model_list[].litellm_params.input_cost_per_second'],
        },
      },
      {},
    );
    expect(warnings).toEqual([
      'security or spend settings Sluice does not implement, ignored as general_settings.sluice_ignore_unsupported allows: model_list[0].litellm_params.input_cost_per_second, general_settings.custom_auth',
    ]);
    expect(() =>
      parseConfig({ ...base, general_settings: { custom_auth: 'x.y', sluice_ignore_unsupported: ['general_settings.custom_auth'] } }, {}),
    ).toThrow(/model_list\[0\]\.litellm_params\.input_cost_per_second/);
  });
});

describe('os.file/ references (mounted secrets)', () => {
  test('an absolute or a relative (to the config file) path reads the file, without its trailing newline', () => {
    const path = file(JSON.stringify({
      model_list: [
        { model_name: 'a', litellm_params: { model: 'openai/gpt-4o', api_key: 'os.file/secrets/openai' } },
        { model_name: 'b', litellm_params: { model: 'openai/gpt-4o', api_key: 'os.file/ABSOLUTE' } },
      ],
    }));
    const dir = join(path, '..');
    const secrets = join(dir, 'secrets');
    mkdirSync(secrets);
    writeFileSync(join(secrets, 'openai'), 'sk-relative\n');
    writeFileSync(join(dir, 'absolute'), 'sk-absolute');
    writeFileSync(path, readFileSync(path, 'utf8').replace('ABSOLUTE', join(dir, 'absolute')));
    const loaded = loadConfigFile(path, {});
    expect(loaded.config.model_list.map((entry) => entry.litellm_params.api_key)).toEqual(['sk-relative', 'sk-absolute']);
    expect(loaded.files).toEqual([join(secrets, 'openai'), join(dir, 'absolute')]);
    const before = loaded.hash;
    writeFileSync(join(secrets, 'openai'), 'sk-rotated');
    expect(loadConfigFile(path, {}).hash).not.toBe(before);
  });

  test('a file that cannot be read is a readable config error naming the reference, not its content', () => {
    const path = file(JSON.stringify({ model_list: [{ model_name: 'a', litellm_params: { model: 'openai/gpt-4o', api_key: 'os.file/missing-secret' } }] }));
    expect(() => loadConfigFile(path, {})).toThrow(ConfigError);
    expect(() => loadConfigFile(path, {})).toThrow(/os\.file\/missing-secret: ENOENT/);
  });
});
