import { describe, expect, test } from 'vitest';
import type { Deployment } from '../providers/provider-adapter.js';
import { costMicros, priceFor } from './cost.js';
import { builtInPrice } from './price-table.js';

function deployment(model: string, extra: Partial<Deployment> = {}): Deployment {
  return { id: 'd', modelGroup: 'g', provider: 'x', model, apiBase: 'https://x', apiBaseHost: 'x', apiKey: undefined, params: { model: `x/${model}` }, info: {}, ...extra };
}

describe('built-in prices', () => {
  test('dated snapshots and Bedrock ids find their model', () => {
    expect(builtInPrice('claude-sonnet-4-5-20250929')).toEqual({ input: 3, output: 15, cachedInput: 0.3 });
    expect(builtInPrice('us.anthropic.claude-3-5-sonnet-20240620-v1:0')).toEqual({ input: 3, output: 15, cachedInput: 0.3 });
    expect(builtInPrice('anthropic.claude-3-haiku-20240307-v1:0')?.input).toBe(0.25);
    expect(builtInPrice('amazon.titan-embed-text-v2:0')?.input).toBe(0.02);
    expect(builtInPrice('gpt-4o-mini-2024-07-18')?.input).toBe(0.15);
    // The longest known name wins: gemini-2.5-flash-lite is not priced as gemini-2.5-flash.
    expect(builtInPrice('gemini-2.5-flash-lite')?.input).toBe(0.1);
    expect(builtInPrice('my-own-finetune')).toBeUndefined();
  });

  test('model_info and litellm_params costs override the table; base_model picks the table row', () => {
    expect(priceFor(deployment('gpt-4o', { info: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 } }))).toEqual({ input: 1, output: 2 });
    expect(priceFor(deployment('gpt-4o', { params: { model: 'x/gpt-4o', input_cost_per_token: 0.000004 } }))).toEqual({ input: 4, output: 0 });
    expect(priceFor(deployment('my-azure-deployment', { info: { base_model: 'gpt-4o' } }))?.input).toBe(2.5);
  });

  test('cost is integer micro-USD, cached prompt tokens at the cached price', () => {
    const price = builtInPrice('claude-sonnet-4-5');
    expect(costMicros({ promptTokens: 1000, completionTokens: 100, cachedTokens: 400, reasoningTokens: 0 }, price)).toBe(600 * 3 + 400 * 0.3 + 100 * 15);
    expect(costMicros({ promptTokens: 7, completionTokens: 3, cachedTokens: 0, reasoningTokens: 0 }, { input: 0.15, output: 0.6 })).toBe(3);
    expect(costMicros({ promptTokens: 10, completionTokens: 10, cachedTokens: 0, reasoningTokens: 0 }, undefined)).toBe(0);
  });
});
