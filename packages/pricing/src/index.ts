export { finalCostFemto, finalCostNanos, nanosToRoundedMicros, nanosToUsd } from './final-cost.js';
export { GENAI_PRICES_SOURCE, tablePrice } from './genai-prices-table.js';
export { type GroupPricing, groupPricing, type HoldEstimate, holdEstimate } from './hold-estimate.js';
export { type CostFields, overlay, readCostFields } from './litellm-cost-fields.js';
export {
  FEMTO_PER_NANO,
  FEMTO_PER_USD,
  femtoFromUsdPerMillion,
  femtoFromUsdPerToken,
  femtoToMicrosPerToken,
  type ModelPrice,
  NANOS_PER_USD,
  type PriceTier,
  ratesFor,
  type TokenRates,
} from './model-price.js';
export { createPriceBook, type PriceBook, type PriceBookOptions, type PricedDeployment, pricedDeploymentOf } from './price-book.js';
export { decodePrice, encodePrice } from './price-wire.js';
export { loadPricesFile, parsePricesFile, type PricesFile, PricesFileError } from './prices-file.js';
export type { UsageRecord } from './usage-record.js';
