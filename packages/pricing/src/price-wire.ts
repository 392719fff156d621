import type { ModelPrice } from './model-price.js';

// The router sends the price of the deployment it picked along with the stream's start, so the edge can
// cost a stream the client cut short with the same function (finalCostNanos) the router uses. JSON,
// encoded once per deployment and decoded only on that rare path.

export function encodePrice(price: ModelPrice | undefined): string {
  return price ? JSON.stringify(price) : '';
}

export function decodePrice(text: string): ModelPrice | undefined {
  if (text === '') return undefined;
  try {
    const value = JSON.parse(text) as ModelPrice;
    return typeof value.input === 'number' && typeof value.output === 'number' && Array.isArray(value.tiers) ? value : undefined;
  } catch {
    return undefined;
  }
}
