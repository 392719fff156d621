import { ConfigError, loadSettings } from '@sluice/common';
import { expect, test } from 'vitest';
import { langfuseExportConfig } from './langfuse-export-config.js';

const keys = loadSettings({ LANGFUSE_HOST: 'https://langfuse.example.com/', LANGFUSE_PUBLIC_KEY: 'pk', LANGFUSE_SECRET_KEY: 'sk' }).langfuse;

test('on when a LiteLLM callback list names langfuse; messages only when message logging is on', () => {
  expect(langfuseExportConfig({ model_list: [] }, keys)).toBeUndefined();
  expect(langfuseExportConfig({ model_list: [], litellm_settings: { success_callback: ['prometheus'] } }, keys)).toBeUndefined();
  const on = langfuseExportConfig({ model_list: [], litellm_settings: { success_callback: ['langfuse'] } }, keys);
  expect(on).toEqual({ settings: keys, messages: false });
  expect(on!.settings.host).toBe('https://langfuse.example.com');
  expect(langfuseExportConfig({ model_list: [], litellm_settings: { callbacks: ['langfuse_otel'], turn_off_message_logging: false } }, keys)?.messages).toBe(true);
});

test('named without keys, start-up fails instead of piling traces up', () => {
  const noKeys = loadSettings({}).langfuse;
  expect(noKeys.host).toBe('https://cloud.langfuse.com');
  expect(() => langfuseExportConfig({ model_list: [], litellm_settings: { success_callback: ['langfuse'] } }, noKeys)).toThrow(ConfigError);
});
