import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { finalCostNanos } from './final-cost.js';
import { GENAI_PRICES_SOURCE } from './genai-prices-table.js';
import { groupPricing, holdEstimate } from './hold-estimate.js';
import { createPriceBook, type PricedDeployment } from './price-book.js';
import { decodePrice, encodePrice } from './price-wire.js';

// Published list prices, USD per million tokens, copied by hand from the providers' price pages; the
// tests compute costs from these, never from the code under test.
const PUBLISHED = {
  'gpt-4o-mini': { input: 0.15, output: 0.6, cacheRead: 0.075 },
  'claude-sonnet-4-5': { input: 3, output: 15, cacheRead: 0.3, cacheWrite5m: 3.75, cacheWrite1h: 6, above200k: { input: 6, output: 22.5 } },
  'text-embedding-3-small': { input: 0.02 },
  'gemini-2.5-pro': { input: 1.25, output: 10, above200k: { input: 2.5, output: 15 } },
} as const;

/** USD per million tokens x tokens, in nano-USD: USD/M x 1000 is nano-USD per token. */
const nanos = (perMillion: number, tokens: number) => Math.round(perMillion * 1000) * tokens;

const deployment = (provider: string, model: string, info: Record<string, unknown> = {}, params: Record<string, unknown> = {}): PricedDeployment => ({
  provider,
  model,
  params: { model: `${provider}/${model}`, ...params },
  info,
});

const book = createPriceBook();
const usage = (promptTokens: number, completionTokens: number, extra: Partial<Parameters<typeof finalCostNanos>[0]> = {}) => ({
  promptTokens,
  completionTokens,
  cachedTokens: 0,
  reasoningTokens: 0,
  ...extra,
});

describe('the table (genai-prices, pinned)', () => {
  test('knows every provider family Sluice serves, dated snapshots and Bedrock ids included', () => {
    const known: Array<[string, string]> = [
      ['openai', 'gpt-4o-mini-2024-07-18'],
      ['openai', 'text-embedding-3-small'],
      ['azure', 'gpt-4o'],
      ['anthropic', 'claude-sonnet-4-5-20250929'],
      ['anthropic', 'claude-3-haiku-20240307'],
      ['bedrock', 'us.anthropic.claude-3-5-sonnet-20240620-v1:0'],
      ['bedrock', 'amazon.titan-embed-text-v2:0'],
      ['bedrock', 'amazon.nova-lite-v1:0'],
      ['gemini', 'gemini-2.5-flash'],
      ['gemini', 'gemini-2.5-flash-lite'],
      ['vertex_ai', 'gemini-2.0-flash'],
      ['vertex_ai', 'claude-sonnet-4-5@20250929'],
      ['groq', 'llama-3.3-70b-versatile'],
      ['mistral', 'mistral-large-latest'],
      ['deepseek', 'deepseek-chat'],
      ['xai', 'grok-3'],
    ];
    const missing = known.filter(([provider, model]) => !book.priceFor(deployment(provider, model)));
    expect(missing).toEqual([]);
    expect(book.priceFor(deployment('anthropic', 'claude-sonnet-4-5-20250929'))?.source).toBe(GENAI_PRICES_SOURCE);
    expect(GENAI_PRICES_SOURCE).toBe('genai-prices@0.1.8');
    expect(book.priceFor(deployment('ollama', 'llama3'))).toBeUndefined();
    expect(book.priceFor(deployment('openai', 'my-own-finetune'))).toBeUndefined();
  });

  test('costs equal tokens x published price, cache reads and both cache-write lifetimes at their own price', () => {
    const mini = PUBLISHED['gpt-4o-mini'];
    const miniPrice = book.priceFor(deployment('openai', 'gpt-4o-mini'));
    expect(finalCostNanos(usage(1000, 100, { cachedTokens: 400 }), miniPrice)).toBe(nanos(mini.input, 600) + nanos(mini.cacheRead, 400) + nanos(mini.output, 100));

    const sonnet = PUBLISHED['claude-sonnet-4-5'];
    const sonnetPrice = book.priceFor(deployment('anthropic', 'claude-sonnet-4-5-20250929'));
    // Anthropic usage: input_tokens 50, cache_read 1000, cache_creation 2000 (1500 for 5 minutes, 500 for an hour).
    const cost = finalCostNanos(usage(50 + 1000 + 2000, 300, { cachedTokens: 1000, cacheWrite5mTokens: 1500, cacheWrite1hTokens: 500 }), sonnetPrice);
    expect(cost).toBe(nanos(sonnet.input, 50) + nanos(sonnet.cacheRead, 1000) + nanos(sonnet.cacheWrite5m, 1500) + nanos(sonnet.cacheWrite1h, 500) + nanos(sonnet.output, 300));
    // A cache write is dearer than plain input: it is not priced as plain input.
    expect(finalCostNanos(usage(2000, 0, { cacheWrite5mTokens: 2000 }), sonnetPrice)).toBe(nanos(sonnet.cacheWrite5m, 2000));
    expect(finalCostNanos(usage(2000, 0, { cacheWrite5mTokens: 2000 }), sonnetPrice)).toBeGreaterThan(nanos(sonnet.input, 2000));
  });

  test('a prompt above 200k tokens is priced at the long-context rates, for the whole request', () => {
    const pro = PUBLISHED['gemini-2.5-pro'];
    const price = book.priceFor(deployment('gemini', 'gemini-2.5-pro'));
    expect(finalCostNanos(usage(200_000, 10), price)).toBe(nanos(pro.input, 200_000) + nanos(pro.output, 10));
    expect(finalCostNanos(usage(200_001, 10), price)).toBe(nanos(pro.above200k.input, 200_001) + nanos(pro.above200k.output, 10));
  });

  test('many cheap requests add up to tokens x price with no rounding drift', () => {
    const mini = PUBLISHED['gpt-4o-mini'];
    const price = book.priceFor(deployment('openai', 'gpt-4o-mini'));
    let ledger = 0;
    for (let index = 0; index < 66_098; index += 1) ledger += finalCostNanos(usage(9, 14), price);
    // 9 x $0.15/M + 14 x $0.60/M = 9.75 micro-USD each; whole micro-USD would have booked 10.
    expect(finalCostNanos(usage(9, 14), price)).toBe(9_750);
    expect(ledger).toBe(66_098 * (nanos(mini.input, 9) + nanos(mini.output, 14)));
    const embedding = book.priceFor(deployment('openai', 'text-embedding-3-small'));
    expect(finalCostNanos(usage(7, 0), embedding)).toBe(nanos(PUBLISHED['text-embedding-3-small'].input, 7));
    expect(finalCostNanos(usage(7, 0), embedding)).toBe(140);
  });
});

describe('overrides', () => {
  test('model_info costs (LiteLLM names) win over the table field by field; litellm_params too; base_model picks the row', () => {
    const price = book.priceFor(
      deployment('anthropic', 'claude-sonnet-4-5', {
        input_cost_per_token: 0.000001,
        cache_creation_input_token_cost: 0.000002,
        input_cost_per_token_above_200k_tokens: 0.000005,
      }),
    );
    expect(price?.source).toBe(`${GENAI_PRICES_SOURCE}+model_info`);
    expect(finalCostNanos(usage(100, 10), price)).toBe(100 * 1000 + nanos(15, 10));
    expect(finalCostNanos(usage(100, 0, { cacheWrite5mTokens: 100 }), price)).toBe(100 * 2000);
    expect(finalCostNanos(usage(300_000, 0), price)).toBe(300_000 * 5000);
    const fromParams = book.priceFor(deployment('openai', 'gpt-4o', {}, { output_cost_per_token: 0.00002 }));
    expect(finalCostNanos(usage(0, 10), fromParams)).toBe(10 * 20_000);
    const azure = book.priceFor(deployment('azure', 'my-deployment', { base_model: 'azure/gpt-4o-mini' }));
    expect(finalCostNanos(usage(1000, 0), azure)).toBe(nanos(0.15, 1000));
    const custom = book.priceFor(deployment('hosted_vllm', 'my-llama', { input_cost_per_token: 0, output_cost_per_token: 0 }));
    expect(custom).toMatchObject({ input: 0, output: 0, source: 'model_info' });
  });

  test('an operator prices file extends and overrides the table, and names its version', () => {
    const directory = mkdtempSync(join(tmpdir(), 'sluice-prices-'));
    const file = join(directory, 'prices.json');
    writeFileSync(file, JSON.stringify({ 'my-llama': { input_cost_per_token: 1e-7, output_cost_per_token: 2e-7 }, 'openai/gpt-4o-mini': { output_cost_per_token: 1e-6 } }));
    const withFile = createPriceBook({ pricesFile: file });
    const llama = withFile.priceFor(deployment('hosted_vllm', 'my-llama'));
    expect(llama?.source).toMatch(/^prices-file@[0-9a-f]{12}$/);
    expect(finalCostNanos(usage(10, 10), llama)).toBe(10 * 100 + 10 * 200);
    const mini = withFile.priceFor(deployment('openai', 'gpt-4o-mini'));
    expect(finalCostNanos(usage(10, 10), mini)).toBe(nanos(0.15, 10) + 10 * 1000);
    expect(() => createPriceBook({ pricesFile: join(directory, 'missing.json') })).toThrow(/prices_file/);
  });
});

describe('holds', () => {
  test('a hold is at least the final cost, for every way the prompt can be spent', () => {
    const models: Array<[string, string]> = [
      ['anthropic', 'claude-sonnet-4-5'],
      ['openai', 'gpt-4o-mini'],
      ['gemini', 'gemini-2.5-pro'],
      ['openai', 'o4-mini'],
    ];
    for (const [provider, model] of models) {
      const price = book.priceFor(deployment(provider, model));
      const group = groupPricing([{ model, price, maxOutputTokens: undefined }]);
      for (const prompt of [1, 9, 1000, 150_000, 250_000]) {
        const hold = holdEstimate(group, prompt, 500, 1024);
        for (const spent of [usage(prompt, 500), usage(prompt, 500, { cachedTokens: prompt }), usage(prompt, 500, { cacheWrite1hTokens: prompt, reasoningTokens: 400 }), usage(prompt, 500, { cacheWrite5mTokens: prompt })]) {
          expect(hold.costNanos).toBeGreaterThanOrEqual(finalCostNanos(spent, price));
        }
      }
    }
  });

  test('the dearest deployment of a group sets the hold; unpriced deployments are named', () => {
    const cheap = book.priceFor(deployment('openai', 'gpt-4o-mini'));
    const dear = book.priceFor(deployment('openai', 'gpt-4o'));
    const group = groupPricing([
      { model: 'gpt-4o-mini', price: cheap, maxOutputTokens: 100 },
      { model: 'gpt-4o', price: dear, maxOutputTokens: 200 },
      { model: 'local-llama', price: undefined, maxOutputTokens: 50 },
    ]);
    expect(group.unpriced).toEqual(['local-llama']);
    expect(holdEstimate(group, 10, 5000, 1024)).toEqual({ tokens: 210, costNanos: nanos(2.5, 10) + nanos(10, 200) });
    expect(holdEstimate(undefined, 10, 5, 1024)).toEqual({ tokens: 15, costNanos: 0 });
  });

  test('a price survives the trip from router to edge', () => {
    const price = book.priceFor(deployment('anthropic', 'claude-sonnet-4-5'));
    expect(decodePrice(encodePrice(price))).toEqual(price);
    expect(decodePrice('')).toBeUndefined();
    expect(decodePrice('{not json')).toBeUndefined();
  });
});
