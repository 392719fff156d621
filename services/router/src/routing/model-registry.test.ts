import { ConfigError, parseConfig } from '@sluice/common';
import { describe, expect, test } from 'vitest';
import { buildModelRegistry } from './model-registry.js';

const registryOf = (document: Record<string, unknown>) => buildModelRegistry(parseConfig(document, {}).config);

describe('model registry', () => {
  test('unprefixed models resolve through the inference table, and each resolution is reported', () => {
    const registry = registryOf({
      model_list: [
        { model_name: 'mini', litellm_params: { model: 'gpt-5-mini' } },
        { model_name: 'sonnet', litellm_params: { model: 'claude-sonnet-4-5' } },
        { model_name: 'flash', litellm_params: { model: 'gemini-2.0-flash' } },
        { model_name: 'local', litellm_params: { model: 'llama3', api_base: 'http://127.0.0.1:8000/v1' } },
      ],
    });
    expect(registry.group('mini')![0]).toMatchObject({ provider: 'openai', model: 'gpt-5-mini', apiBase: 'https://api.openai.com/v1' });
    expect(registry.group('local')![0]).toMatchObject({ provider: 'openai_like', model: 'llama3', apiBaseHost: '127.0.0.1:8000' });
    expect(registry.resolutions().map((line) => [line.modelName, line.provider, line.source])).toEqual([
      ['mini', 'openai', 'model name'],
      ['sonnet', 'anthropic', 'model name'],
      ['flash', 'gemini', 'model name'],
      ['local', 'openai_like', 'api_base'],
    ]);
  });

  test('model_group_alias in both forms: both route to the group; only the visible one is listed', () => {
    const registry = registryOf({
      model_list: [{ model_name: 'gpt-4o', litellm_params: { model: 'openai/gpt-4o' } }],
      router_settings: { model_group_alias: { fast: 'gpt-4o', secret: { model: 'gpt-4o', hidden: true } } },
    });
    expect(registry.group('fast')).toBe(registry.group('gpt-4o'));
    expect(registry.group('secret')).toBe(registry.group('gpt-4o'));
    expect(registry.models().map((model) => model.id)).toEqual(['gpt-4o', 'fast']);
  });

  test('a default_model no group serves stops start-up with its path; an alias or a wildcard may serve it', () => {
    const model_list = [{ model_name: 'gpt-4o', litellm_params: { model: 'openai/gpt-4o' } }];
    expect(() => registryOf({ model_list, litellm_settings: { default_model: 'nope' } })).toThrow(/litellm_settings\.default_model: model "nope"/);
    expect(registryOf({ model_list, litellm_settings: { default_model: 'gpt-4o' } }).group('gpt-4o')).toHaveLength(1);
    expect(() => registryOf({ model_list, router_settings: { model_group_alias: { fast: 'gpt-4o' } }, litellm_settings: { default_model: 'fast' } })).not.toThrow();
    const wildcard = [{ model_name: 'openai/*', litellm_params: { model: 'openai/*' } }];
    expect(() => registryOf({ model_list: wildcard, litellm_settings: { default_model: 'openai/gpt-4o-mini' } })).not.toThrow();
  });

  test('an alias to a group that does not exist stops start-up with its path', () => {
    expect(() =>
      registryOf({ model_list: [], router_settings: { model_group_alias: { fast: 'nope' } } }),
    ).toThrow(ConfigError);
    expect(() => registryOf({ model_list: [], router_settings: { model_group_alias: { fast: 'nope' } } })).toThrow(
      /router_settings\.model_group_alias\.fast/,
    );
  });
});
