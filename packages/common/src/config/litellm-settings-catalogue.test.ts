import type { TObject } from '@sinclair/typebox';
import { expect, test } from 'vitest';
import {
  CacheParamsSchema,
  ConfigSchema,
  GeneralSettingsSchema,
  LitellmParamsSchema,
  LitellmSettingsSchema,
  ModelInfoSchema,
  RouterSettingsSchema,
} from './config-schema.js';
import { CACHE_PARAMS, GENERAL_SETTINGS, LITELLM_PARAMS, LITELLM_SETTINGS, MODEL_INFO, ROUTER_SETTINGS, TOP_LEVEL } from './litellm-settings-catalogue.js';

// Fields the schema only type-checks, which Sluice does not act on (yet): the catalogue names them.
const TYPED_ONLY = new Set([
  'model_list[].litellm_params.max_parallel_requests',
  'litellm_settings.max_budget',
  'litellm_settings.budget_duration',
  'general_settings.allow_requests_on_db_unavailable',
]);

// Every other field the schema reads is one Sluice implements: the catalogue must call it supported, or
// start-up would warn about (or refuse) a setting that works.
test('every field of the config schema is a supported setting in the catalogue', () => {
  const pairs: Array<[string, TObject, Record<string, string>]> = [
    ['', ConfigSchema, TOP_LEVEL],
    ['model_list[].litellm_params', LitellmParamsSchema, LITELLM_PARAMS],
    ['model_list[].model_info', ModelInfoSchema, MODEL_INFO],
    ['router_settings', RouterSettingsSchema, ROUTER_SETTINGS],
    ['litellm_settings', LitellmSettingsSchema, LITELLM_SETTINGS],
    ['litellm_settings.cache_params', CacheParamsSchema, CACHE_PARAMS],
    ['general_settings', GeneralSettingsSchema, GENERAL_SETTINGS],
  ];
  const wrong: string[] = [];
  for (const [path, schema, section] of pairs) {
    for (const key of Object.keys(schema.properties)) {
      const full = path === '' ? key : `${path}.${key}`;
      if (section[key] !== 'supported' && !TYPED_ONLY.has(full)) wrong.push(`${full}: ${section[key] ?? 'missing'}`);
    }
  }
  expect(wrong).toEqual([]);
});
