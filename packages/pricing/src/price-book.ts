import { tablePrice } from './genai-prices-table.js';
import { overlay, readCostFields } from './litellm-cost-fields.js';
import type { ModelPrice } from './model-price.js';
import { loadPricesFile, type PricesFile } from './prices-file.js';

/** What pricing needs to know of a deployment: the router's Deployment and a config model entry both fit. */
export interface PricedDeployment {
  /** litellm_params.model's prefix: openai, anthropic, bedrock, ... */
  provider: string;
  /** The provider's model id, without the prefix. */
  model: string;
  params: Readonly<Record<string, unknown>>;
  info: Readonly<Record<string, unknown>>;
}

export interface PriceBookOptions {
  /** general_settings.prices_file: LiteLLM-format prices that extend and override the table. */
  pricesFile?: string | undefined;
  /** Decides which of the table's dated prices apply. */
  now?: Date;
}

export interface PriceBook {
  /** The price for a deployment, or undefined when nothing prices it (an unpriced model). */
  priceFor(deployment: PricedDeployment): ModelPrice | undefined;
}

/** A model_list entry as the price book sees it: `litellm_params.model` is `<provider>/<model>`. */
export function pricedDeploymentOf(entry: { litellm_params: { model: string } & Record<string, unknown>; model_info?: Record<string, unknown> | undefined }): PricedDeployment {
  const full = entry.litellm_params.model;
  const slash = full.indexOf('/');
  return {
    provider: slash < 0 ? 'openai' : full.slice(0, slash),
    model: slash < 0 ? full : full.slice(slash + 1),
    params: entry.litellm_params,
    info: entry.model_info ?? {},
  };
}

function splitName(name: string, provider: string): { provider: string; model: string } {
  const slash = name.indexOf('/');
  return slash < 0 ? { provider, model: name } : { provider: name.slice(0, slash), model: name.slice(slash + 1) };
}

/**
 * Who prices a deployment, strongest first: its own model_info (or litellm_params) cost fields, then the
 * operator's prices file, then the built-in table; each field a stronger source sets wins over the rest.
 * `model_info.base_model` names the model to look up (an Azure deployment name is not a model).
 */
export function createPriceBook(options: PriceBookOptions = {}): PriceBook {
  const file: PricesFile | undefined = options.pricesFile ? loadPricesFile(options.pricesFile) : undefined;
  const now = options.now ?? new Date();
  const cache = new Map<string, ModelPrice | undefined>();

  function basePrice(provider: string, model: string): ModelPrice | undefined {
    const key = `${provider}/${model}`;
    if (cache.has(key)) return cache.get(key);
    let price = tablePrice(provider, model, now);
    const fileEntry = file?.entries.get(key) ?? file?.entries.get(model);
    if (file && fileEntry) price = overlay(price, fileEntry, file.source);
    cache.set(key, price);
    return price;
  }

  return {
    priceFor(deployment) {
      const baseModel = typeof deployment.info.base_model === 'string' ? deployment.info.base_model : undefined;
      const looked = baseModel ? splitName(baseModel, deployment.provider) : deployment;
      const base = basePrice(looked.provider, looked.model);
      const configured = readCostFields({ ...pickCosts(deployment.params), ...pickCosts(deployment.info) });
      return configured ? overlay(base, configured, 'model_info') : base;
    },
  };
}

/** Only the numeric fields: litellm_params also holds keys and URLs, which must not be copied around. */
function pickCosts(source: Readonly<Record<string, unknown>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(source)) if (typeof value === 'number' && name.includes('cost')) out[name] = value;
  return out;
}
