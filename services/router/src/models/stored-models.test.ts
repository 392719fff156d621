import { GatewayError } from '@sluice/common';
import { describe, expect, test } from 'vitest';
import { checkedEntry, publicParams } from './stored-models.js';

describe('stored models', () => {
  test('answers show no credential and no api_base userinfo', () => {
    expect(
      publicParams({
        model: 'bedrock/claude',
        api_key: 'sk-a',
        aws_secret_access_key: 'b',
        aws_session_token: 'c',
        vertex_credentials: '{}',
        api_base: 'https://user:pass@example.com/v1?api-key=sk-q',
        extra_headers: { authorization: 'Bearer sk-h' },
        rpm: 10,
      }),
    ).toEqual({ model: 'bedrock/claude', api_base: 'https://example.com/v1', rpm: 10 });
  });

  test('a model is checked as a config entry is, and may not read the environment or a file', () => {
    expect(checkedEntry({ model_name: 'm', litellm_params: { model: 'openai/gpt-4o', rpm: '5' } }).litellm_params.rpm).toBe(5);
    for (const apiKey of ['os.environ/DATABASE_URL', 'os.file//etc/passwd']) {
      expect(() => checkedEntry({ model_name: 'm', litellm_params: { model: 'openai/gpt-4o', api_key: apiKey } })).toThrow(GatewayError);
    }
    expect(() => checkedEntry({ model_name: 'm', litellm_params: { model: 'no-provider-here' } })).toThrow(/cannot tell the provider/);
    expect(() => checkedEntry({ model_name: '', litellm_params: { model: 'openai/gpt-4o' } })).toThrow(GatewayError);
  });
});
