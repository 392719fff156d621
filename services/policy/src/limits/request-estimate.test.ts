import { expect, test } from 'vitest';
import { buildModelPricing, estimateRequest } from './request-estimate.js';

const pricing = buildModelPricing({
  model_list: [
    { model_name: 'mixed', litellm_params: { model: 'openai/gpt-4o-mini' } },
    { model_name: 'mixed', litellm_params: { model: 'openai/gpt-4o' }, model_info: { max_output_tokens: 100 } },
    { model_name: 'custom', litellm_params: { model: 'openai/x', input_cost_per_token: 0.000002, output_cost_per_token: 0.00001 } },
    { model_name: 'unknown', litellm_params: { model: 'openai/nobody-knows' } },
  ],
});

test('a group is priced at its dearest deployment, from config first, then the built-in table', () => {
  expect(pricing.get('mixed')).toMatchObject({ inputMicros: 2.5, outputMicros: 10 });
  // One deployment has no output cap, so the group has none.
  expect(pricing.get('mixed')!.maxOutputTokens).toBeUndefined();
  expect(pricing.get('custom')).toEqual({ inputMicros: 2, outputMicros: 10, maxOutputTokens: undefined });
  expect(pricing.get('unknown')).toEqual({ inputMicros: 0, outputMicros: 0, maxOutputTokens: undefined });
});

test('the estimate uses max_tokens, else the default, clamped to the model maximum', () => {
  expect(estimateRequest(pricing.get('custom'), 100, 50, 1024)).toEqual({ tokens: 150, costMicros: 700 });
  expect(estimateRequest(pricing.get('custom'), 100, 0, 1024)).toEqual({ tokens: 1124, costMicros: 10_440 });
  expect(estimateRequest({ inputMicros: 1, outputMicros: 1, maxOutputTokens: 64 }, 10, 999_999_999, 1024)).toEqual({ tokens: 74, costMicros: 74 });
  expect(estimateRequest(undefined, 10, 5, 1024)).toEqual({ tokens: 15, costMicros: 0 });
  // Fractional prices round up: a hold never covers less than the price.
  expect(estimateRequest({ inputMicros: 0.15, outputMicros: 0.6, maxOutputTokens: undefined }, 3, 1, 1024).costMicros).toBe(2);
});

test('every answer a request asks for (n, best_of) is covered by the hold', () => {
  // 16 answers of up to 100 tokens each at $10 per million output tokens.
  expect(estimateRequest(pricing.get('custom'), 10, 100, 1024, 16)).toEqual({ tokens: 1_610, costMicros: 16_020 });
  // Without max_tokens, each answer may be as long as the default.
  expect(estimateRequest(pricing.get('custom'), 0, 0, 1024, 2).tokens).toBe(2_048);
  // 0 (not sent) counts as one answer; an absurd count is capped, as is the total.
  expect(estimateRequest(pricing.get('custom'), 0, 100, 1024, 0).tokens).toBe(100);
  expect(estimateRequest(pricing.get('custom'), 0, 5_000_000, 1024, 1_000_000).tokens).toBe(10_000_000);
});
