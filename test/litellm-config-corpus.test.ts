import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseLitellmYaml } from '@sluice/common';
import { checkConfig } from '@sluice/router';
import { describe, expect, test } from 'vitest';

// Real LiteLLM configs (see test/fixtures/litellm-configs/README.md), each through check-config: it
// loads, or it is refused with a message naming what Sluice does not do.
const root = dirname(dirname(fileURLToPath(import.meta.url)));
const corpus = join(root, 'test', 'fixtures', 'litellm-configs');

// The variables the configs name whose values must be of a shape (URLs, port numbers) to load.
const env = {
  AZURE_API_BASE: 'https://example-resource.openai.azure.com/',
  FAKE_OPENAI_API_BASE: 'https://fake-openai.example/',
  REDIS_HOST: 'redis.example',
  REDIS_PORT: '6379',
  REDIS_PASSWORD: 'not-a-secret',
};

type Expected = { loads: true; warns?: string[] } | { refused: string[] };

const EXPECTED: Record<string, Expected> = {
  '_health_check_test_config.yaml': { loads: true, warns: ['litellm_settings.set_verbose'] },
  'aliases_config.yaml': { loads: true },
  'azure_config.yaml': { loads: true },
  'azure_config_with_tpm.yaml': { loads: true },
  'disable_schema_update.yaml': { loads: true, warns: ['litellm_settings.callbacks: gcs_bucket', 'general_settings.disable_prisma_schema_update'] },
  'docs-prod-best-practices.yaml': { loads: true, warns: ['general_settings.proxy_batch_write_at', 'general_settings.disable_spend_logs'] },
  'docs-prod-redis.yaml': { loads: true },
  'docs-tag-routing.yaml': { loads: true },
  'enterprise_config.yaml': { loads: true },
  'issue-5524-model-group-alias.yaml': { loads: true },
  // A provider Sluice does not serve (mistralai/, not mistral/): a fair refusal, naming it.
  'load_balancer.yaml': { refused: ['provider "mistralai" is not supported'] },
  'macos_optimized_config.yaml': { loads: true, warns: ['cache_params.type "disk" is not supported'] },
  'multi_instance_simple_config.yaml': { loads: true },
  'oai_misc_config.yaml': { loads: true, warns: ['model_list[0].litellm_params.region_name', 'unknown settings, ignored: finetune_settings'] },
  'okta_jwt_auth_config.yaml': { refused: ['general_settings.enable_jwt_auth', 'general_settings.litellm_jwtauth'] },
  'otel_test_config.yaml': { refused: ['guardrails'] },
  'pass_through_config.yaml': { refused: ['general_settings.custom_auth', 'general_settings.pass_through_endpoints'] },
  'prometheus_test_config.yaml': { loads: true },
  'queue.yaml': { loads: true },
  'reject_clientside_metadata_tags_config.yaml': { refused: ['general_settings.reject_clientside_metadata_tags'] },
  'reject_metadata_tags_config.yaml': { refused: ['general_settings.reject_metadata_tags'] },
  'simple_config.yaml': { loads: true },
  'spend_tracking_config.yaml': { loads: true, warns: ['general_settings.use_redis_transaction_buffer'] },
  'store_model_db_config.yaml': { loads: true, warns: ['general_settings.custom_team_metadata_validate'] },
  'test_pipeline_config.yaml': { refused: ['guardrails', 'policies'] },
};

describe('the LiteLLM config corpus through check-config', () => {
  const files = readdirSync(corpus).filter((name) => name.endsWith('.yaml')).sort();

  test('holds at least 25 configs, each with an expected outcome', () => {
    expect(files.length).toBeGreaterThanOrEqual(25);
    expect(files).toEqual(Object.keys(EXPECTED).sort());
  });

  test.each(Object.entries(EXPECTED))('%s', (file, expected) => {
    const result = checkConfig(join(corpus, file), env);
    if ('refused' in expected) {
      expect(result.ok).toBe(false);
      for (const part of expected.refused) expect(result.error).toContain(part);
    } else {
      expect(result.error).toBeUndefined();
      expect(result.ok).toBe(true);
      // Every deployment says what it resolved to.
      const document = parseLitellmYaml(readFileSync(join(corpus, file), 'utf8')) as { model_list?: unknown[] | null };
      expect(result.lines.filter((line) => line.startsWith('model_list[')).length).toBe(document.model_list?.length ?? 0);
      for (const part of expected.warns ?? []) expect(result.lines.some((line) => line.startsWith('warning:') && line.includes(part))).toBe(true);
    }
  });

  test('unprefixed models resolve and say how', () => {
    const simple = checkConfig(join(corpus, 'simple_config.yaml'), env);
    expect(simple.lines).toContain('model_list[0] "gpt-3.5-turbo": openai gpt-5-mini at api.openai.com (provider inferred from its model name)');
    const queue = checkConfig(join(corpus, 'queue.yaml'), env);
    expect(queue.lines[0]).toMatch(/^model_list\[0\] "gpt-3.5-turbo": openai gpt-3.5-turbo .*inferred from its model name/);
    expect(queue.lines[1]).toMatch(/^model_list\[1\] "gpt-3.5-turbo": azure chatgpt-v-2 .*from its prefix/);
  });

  test('npm run check-config prints the resolution and exits 0 on a good file, 1 on a refused one', async () => {
    const run = promisify(execFile);
    const main = join(root, 'services', 'router', 'dist', 'cli', 'check-config-main.js');
    const good = await run(process.execPath, [main, join(corpus, 'azure_config.yaml')], { env: { PATH: process.env.PATH } });
    expect(good.stdout).toMatch(/model_list\[0\] "gpt-4-team1": azure chatgpt-v-2/);
    expect(good.stdout).toMatch(/ok: start-up accepts this file/);
    const refused = await run(process.execPath, [main, join(corpus, 'okta_jwt_auth_config.yaml')], { env: { PATH: process.env.PATH } }).then(
      () => undefined,
      (error: { code: number; stdout: string }) => error,
    );
    expect(refused?.code).toBe(1);
    expect(refused?.stdout).toMatch(/refused: .*\n.*general_settings\.enable_jwt_auth/);
  });
});
