import { holdEstimate } from '@sluice/pricing';
import { expect, test } from 'vitest';
import type { RequestScope } from '../limits/request-scopes.js';
import { buildModelPricing } from './model-pricing.js';
import { unpricedRefusal } from './unpriced-model.js';

const pricing = buildModelPricing({
  model_list: [
    { model_name: 'mixed', litellm_params: { model: 'openai/gpt-4o-mini' } },
    { model_name: 'mixed', litellm_params: { model: 'openai/gpt-4o' }, model_info: { max_output_tokens: 100 } },
    { model_name: 'custom', litellm_params: { model: 'openai/x', input_cost_per_token: 0.000002, output_cost_per_token: 0.00001 } },
    { model_name: 'unknown', litellm_params: { model: 'openai/nobody-knows' } },
    { model_name: 'half', litellm_params: { model: 'openai/gpt-4o-mini' } },
    { model_name: 'half', litellm_params: { model: 'hosted_vllm/my-llama', api_base: 'http://llama' } },
  ],
});

test('a group is priced at its dearest deployment, from config first, then the table', () => {
  // gpt-4o: $2.50 / $10 per million = 2,500 / 10,000 nano-USD per token.
  expect(holdEstimate(pricing.get('mixed'), 10, 10, 1024)).toEqual({ tokens: 20, costNanos: 10 * 2_500 + 10 * 10_000 });
  // One deployment has no output cap, so the group has none.
  expect(pricing.get('mixed')!.maxOutputTokens).toBeUndefined();
  expect(holdEstimate(pricing.get('custom'), 100, 50, 1024)).toEqual({ tokens: 150, costNanos: 100 * 2_000 + 50 * 10_000 });
  expect(holdEstimate(pricing.get('custom'), 100, 0, 1024)).toEqual({ tokens: 1124, costNanos: 100 * 2_000 + 1024 * 10_000 });
  expect(pricing.get('unknown')!.unpriced).toEqual(['openai/nobody-knows']);
  expect(pricing.get('half')!.unpriced).toEqual(['hosted_vllm/my-llama']);
  expect(pricing.get('custom')!.unpriced).toEqual([]);
});

test('an unpriced group is refused only to a caller with a budget, naming the model', () => {
  const scope = (budget: number) => ({ budget }) as RequestScope;
  expect(unpricedRefusal('half', pricing.get('half'), [scope(-1), scope(-1)])).toBeUndefined();
  expect(unpricedRefusal('half', pricing.get('half'), [scope(-1), scope(5_000)])).toMatch(/Model 'half' has no price \(hosted_vllm\/my-llama\)/);
  expect(unpricedRefusal('custom', pricing.get('custom'), [scope(5_000)])).toBeUndefined();
});

test('every answer a request asks for (n, best_of) is covered by the hold', () => {
  // 16 answers of up to 100 tokens each at $10 per million output tokens.
  expect(holdEstimate(pricing.get('custom'), 10, 100, 1024, 16)).toEqual({ tokens: 1_610, costNanos: 10 * 2_000 + 1_600 * 10_000 });
  // Without max_tokens, each answer may be as long as the default.
  expect(holdEstimate(pricing.get('custom'), 0, 0, 1024, 2).tokens).toBe(2_048);
  // 0 (not sent) counts as one answer; an absurd count is capped, as is the total.
  expect(holdEstimate(pricing.get('custom'), 0, 100, 1024, 0).tokens).toBe(100);
  expect(holdEstimate(pricing.get('custom'), 0, 5_000_000, 1024, 1_000_000).tokens).toBe(10_000_000);
});
