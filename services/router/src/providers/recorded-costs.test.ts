// The cost of every recorded provider response that names a priced model, as the ledger records it:
// the adapter reads the usage, packages/pricing prices it (the same functions the router, the edge and
// policy use), and the result must equal the tokens times the provider's published price, worked out
// here by hand from the recording's own usage numbers.
import { finalCostNanos, groupPricing, holdEstimate, createPriceBook, GENAI_PRICES_SOURCE } from '@sluice/pricing';
import { CallType } from '@sluice/proto';
import { listFixtures, loadJsonFixture } from '@sluice/testing';
import { describe, expect, test } from 'vitest';
import { providerFor } from './provider-registry.js';
import { testContext, testDeployment } from './testing/contract-replay.test-support.js';

/** Published list prices, USD per million tokens (input, output), from the providers' price pages. */
const PUBLISHED: Record<string, { input: number; output: number }> = {
  'claude-sonnet-4-5-20250929': { input: 3, output: 15 },
  'claude-haiku-4-5-20251001': { input: 1, output: 5 },
  'claude-3-opus-20240229': { input: 15, output: 75 },
  'gpt-4.1-nano-2025-04-14': { input: 0.1, output: 0.4 },
  'text-embedding-3-small': { input: 0.02, output: 0 },
  'gemini-3-pro-preview': { input: 2, output: 12 },
  // Bedrock recordings do not name their model; they are priced as the deployment's Claude 3 Haiku.
  'anthropic.claude-3-haiku-20240307-v1:0': { input: 0.25, output: 1.25 },
};

/** USD per million tokens x tokens, in nano-USD (USD per million = thousands of nano-USD per token). */
const nanos = (perMillion: number, tokens: number) => Math.round(perMillion * 1000) * tokens;

interface Recording {
  name: string;
  provider: string;
  model: string;
  callType: CallType;
  /** The recording's own usage, read by hand (not by the adapter). */
  prompt: number;
  output: number;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function recordings(): Recording[] {
  const out: Recording[] = [];
  for (const name of listFixtures('vercel-ai', '', '.json')) {
    const body = loadJsonFixture<Json>('vercel-ai', name);
    if (name.startsWith('anthropic__') && body.usage && PUBLISHED[body.model]) {
      const usage = body.usage;
      out.push({ name, provider: 'anthropic', model: body.model, callType: CallType.CALL_TYPE_CHAT_COMPLETION, prompt: usage.input_tokens, output: usage.output_tokens });
    } else if (name.startsWith('amazon-bedrock__') && body.usage && body.output) {
      out.push({ name, provider: 'bedrock', model: 'anthropic.claude-3-haiku-20240307-v1:0', callType: CallType.CALL_TYPE_CHAT_COMPLETION, prompt: body.usage.inputTokens, output: body.usage.outputTokens });
    } else if (name.startsWith('google__') && body.usageMetadata && PUBLISHED[body.modelVersion]) {
      const usage = body.usageMetadata;
      // Gemini bills thinking tokens as output.
      out.push({ name, provider: 'gemini', model: body.modelVersion, callType: CallType.CALL_TYPE_CHAT_COMPLETION, prompt: usage.promptTokenCount, output: usage.candidatesTokenCount + (usage.thoughtsTokenCount ?? 0) });
    } else if (name.startsWith('openai__chat__') && body.usage && PUBLISHED[body.model]) {
      out.push({ name, provider: 'openai', model: body.model, callType: CallType.CALL_TYPE_CHAT_COMPLETION, prompt: body.usage.prompt_tokens, output: body.usage.completion_tokens });
    } else if (name.startsWith('openai__embedding__') && body.usage && PUBLISHED[body.model]) {
      out.push({ name, provider: 'openai', model: body.model, callType: CallType.CALL_TYPE_EMBEDDING, prompt: body.usage.prompt_tokens, output: 0 });
    }
  }
  return out;
}

const prices = createPriceBook();
const all = recordings();

describe('recorded responses cost their tokens x the published price', () => {
  test('the recordings cover every provider family with a recorded answer', () => {
    expect(new Set(all.map((recording) => recording.provider))).toEqual(new Set(['anthropic', 'bedrock', 'gemini', 'openai']));
    expect(all.length).toBeGreaterThanOrEqual(15);
  });

  test.each(all)('$name ($model)', (recording) => {
    const deployment = testDeployment(recording.provider, recording.model);
    const adapter = providerFor(recording.provider)!.adapter;
    const raw = Buffer.from(JSON.stringify(loadJsonFixture('vercel-ai', recording.name)));
    const parsed = adapter.parseResponse(testContext(deployment, { stream: false, callType: recording.callType }), raw);
    const price = prices.priceFor(deployment);
    expect(price?.source).toBe(GENAI_PRICES_SOURCE);
    const published = PUBLISHED[recording.model]!;
    const cost = finalCostNanos(parsed.usage!, price);
    expect(cost).toBe(nanos(published.input, recording.prompt) + nanos(published.output, recording.output));
    expect(cost).toBeGreaterThan(0);
    // The hold policy reserves for the same request (prompt as estimated, max_tokens = what came back)
    // covers it.
    const hold = holdEstimate(groupPricing([{ model: recording.model, price, maxOutputTokens: undefined }]), recording.prompt, Math.max(1, recording.output), 1024);
    expect(hold.costNanos).toBeGreaterThanOrEqual(cost);
  });

  test('an Anthropic cache write is priced at the write price, by lifetime', () => {
    const recorded = loadJsonFixture<Json>('vercel-ai', 'anthropic__anthropic-text');
    const deployment = testDeployment('anthropic', recorded.model);
    const withCache = {
      ...recorded,
      usage: { ...recorded.usage, input_tokens: 12, cache_read_input_tokens: 1000, cache_creation_input_tokens: 3000, cache_creation: { ephemeral_5m_input_tokens: 2000, ephemeral_1h_input_tokens: 1000 } },
    };
    const parsed = providerFor('anthropic')!.adapter.parseResponse(testContext(deployment, { stream: false }), Buffer.from(JSON.stringify(withCache)));
    expect(parsed.usage).toMatchObject({ promptTokens: 4012, cachedTokens: 1000, cacheWrite5mTokens: 2000, cacheWrite1hTokens: 1000 });
    // Claude Sonnet 4.5: $3 input, $0.30 cache read, $3.75 5-minute write, $6 1-hour write, $15 output.
    expect(finalCostNanos(parsed.usage!, prices.priceFor(deployment))).toBe(nanos(3, 12) + nanos(0.3, 1000) + nanos(3.75, 2000) + nanos(6, 1000) + nanos(15, recorded.usage.output_tokens));
    // Without the breakdown, a write has the default 5-minute lifetime.
    const plain = { ...recorded, usage: { ...recorded.usage, cache_creation_input_tokens: 3000, cache_creation: undefined } };
    const parsedPlain = providerFor('anthropic')!.adapter.parseResponse(testContext(deployment, { stream: false }), Buffer.from(JSON.stringify(plain)));
    expect(finalCostNanos(parsedPlain.usage!, prices.priceFor(deployment))).toBe(nanos(3, recorded.usage.input_tokens) + nanos(3.75, 3000) + nanos(15, recorded.usage.output_tokens));
  });
});
