import { FEMTO_PER_NANO, type ModelPrice, ratesFor } from './model-price.js';

// What a request may cost at most, decided before it runs, so a budget hold covers the cost that later
// settles it: every prompt token at the dearest thing a prompt token can be (plain input, or a cache
// write, which costs more), every output token at the dearer of output and reasoning, at the tier the
// prompt estimate falls in, and at the dearest deployment of the model group (the router may pick any).
// It is at least the final cost whenever the real prompt stays within the estimate and the output
// within max_tokens.

export interface GroupPricing {
  prices: ModelPrice[];
  /** Deployments of the group that nothing prices (their model names). */
  unpriced: string[];
  /** The most output any deployment of the group produces, when every one of them says. */
  maxOutputTokens: number | undefined;
}

export interface HoldEstimate {
  tokens: number;
  costNanos: number;
}

/**
 * Far above any real request, and below what the decision's uint32 token count can carry; keeps a
 * hostile max_tokens from overflowing the counters.
 */
const MAX_ESTIMATED_TOKENS = 10_000_000;
/** OpenAI's own ceiling on `n`; more answers than this cannot be asked for. */
const MAX_CHOICES = 128;

export function groupPricing(deployments: ReadonlyArray<{ model: string; price: ModelPrice | undefined; maxOutputTokens: number | undefined }>): GroupPricing {
  const prices: ModelPrice[] = [];
  const unpriced: string[] = [];
  let maxOutputTokens: number | undefined;
  let everyLimited = deployments.length > 0;
  for (const deployment of deployments) {
    if (deployment.price) prices.push(deployment.price);
    else if (!unpriced.includes(deployment.model)) unpriced.push(deployment.model);
    if (deployment.maxOutputTokens === undefined) everyLimited = false;
    else maxOutputTokens = Math.max(maxOutputTokens ?? 0, deployment.maxOutputTokens);
  }
  return { prices, unpriced, maxOutputTokens: everyLimited ? maxOutputTokens : undefined };
}

function holdRates(price: ModelPrice, promptTokens: number): { prompt: number; output: number } {
  const rates = ratesFor(price, promptTokens);
  return {
    prompt: Math.max(rates.input, rates.cacheRead ?? 0, rates.cacheWrite5m ?? 0, rates.cacheWrite1h ?? 0),
    output: Math.max(rates.output, rates.reasoning ?? 0),
  };
}

/**
 * `choices` is how many answers the request asks for (`n`, `best_of`): each may be as long as
 * `max_tokens`, so the output the hold covers is that many times longer.
 */
export function holdEstimate(
  pricing: GroupPricing | undefined,
  promptTokens: number,
  maxTokens: number,
  defaultMaxTokens: number,
  choices = 1,
): HoldEstimate {
  let output = maxTokens > 0 ? maxTokens : defaultMaxTokens;
  if (pricing?.maxOutputTokens !== undefined) output = Math.min(output, pricing.maxOutputTokens);
  output *= Math.min(Math.max(1, choices), MAX_CHOICES);
  const prompt = Math.min(Math.max(0, promptTokens), MAX_ESTIMATED_TOKENS);
  output = Math.min(Math.max(0, output), MAX_ESTIMATED_TOKENS);
  let femto = 0n;
  for (const price of pricing?.prices ?? []) {
    const rates = holdRates(price, prompt);
    const cost = BigInt(prompt) * BigInt(rates.prompt) + BigInt(output) * BigInt(rates.output);
    if (cost > femto) femto = cost;
  }
  const perNano = BigInt(FEMTO_PER_NANO);
  // Rounded up: a hold never falls short of the cost by a fraction of a nano-USD.
  return { tokens: prompt + output, costNanos: Number((femto + perNano - 1n) / perNano) };
}
