import { FEMTO_PER_NANO, type ModelPrice, NANOS_PER_USD, ratesFor } from './model-price.js';
import type { UsageRecord } from './usage-record.js';

const FEMTO_PER_NANO_BIG = BigInt(FEMTO_PER_NANO);
const HALF_NANO = FEMTO_PER_NANO_BIG / 2n;

const clamp = (value: number | undefined, max: number): number => Math.max(0, Math.min(Math.trunc(value ?? 0), max));

/**
 * Exact cost of a request in femto-USD: every token at the price of what it was (cache read, cache write
 * by lifetime, plain input, reasoning, plain output), at the tier its prompt length falls in. BigInt
 * because tokens x femto-price can pass 2^53 for long prompts on dear models.
 */
export function finalCostFemto(usage: UsageRecord, price: ModelPrice | undefined): bigint {
  if (!price) return 0n;
  const prompt = clamp(usage.promptTokens, Number.MAX_SAFE_INTEGER);
  const rates = ratesFor(price, prompt);
  const cacheRead = clamp(usage.cachedTokens, prompt);
  const write5m = clamp(usage.cacheWrite5mTokens, prompt - cacheRead);
  const write1h = clamp(usage.cacheWrite1hTokens, prompt - cacheRead - write5m);
  const plainInput = prompt - cacheRead - write5m - write1h;
  const completion = clamp(usage.completionTokens, Number.MAX_SAFE_INTEGER);
  const reasoning = clamp(usage.reasoningTokens, completion);
  const write5mRate = rates.cacheWrite5m ?? rates.input;
  return (
    BigInt(plainInput) * BigInt(rates.input) +
    BigInt(cacheRead) * BigInt(rates.cacheRead ?? rates.input) +
    BigInt(write5m) * BigInt(write5mRate) +
    BigInt(write1h) * BigInt(rates.cacheWrite1h ?? write5mRate) +
    BigInt(completion - reasoning) * BigInt(rates.output) +
    BigInt(reasoning) * BigInt(rates.reasoning ?? rates.output)
  );
}

/**
 * The cost the ledger records and a budget is settled with, in nano-USD. It is exact whenever the price
 * is a whole number of nano-USD per token (every published price of the table is: $0.01 per million
 * tokens is 10 nano-USD per token); a finer price is rounded half up once, on the request's total.
 */
export function finalCostNanos(usage: UsageRecord, price: ModelPrice | undefined): number {
  const femto = finalCostFemto(usage, price);
  return Number((femto + HALF_NANO) / FEMTO_PER_NANO_BIG);
}

/** Nano-USD as the float dollars LiteLLM shows (x-litellm-response-cost, the spend routes). */
export function nanosToUsd(nanos: number): number {
  return nanos / NANOS_PER_USD;
}

/** Nano-USD as micro-USD, rounded half up: only for readers of the old integer micro-USD fields. */
export function nanosToRoundedMicros(nanos: number): number {
  return Math.round(nanos / 1000);
}
