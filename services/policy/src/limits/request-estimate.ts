import type { GatewayConfig, ModelEntry } from '@sluice/common';
import { builtInPrice } from '@sluice/router/price-table';

// What a request may cost at most, decided before it runs: its prompt estimate plus the output it may
// produce, at the dearest price among the model group's deployments. The router prices the real usage
// the same way (configured per-token costs first, then the built-in table), so a hold covers the
// settled cost whenever the output stays within the tokens estimated here.

export interface ModelPricing {
  /** Micro-USD per token (= USD per million tokens). */
  inputMicros: number;
  outputMicros: number;
  /** The most output any deployment of the group produces, when configured. */
  maxOutputTokens: number | undefined;
}

const PER_MILLION = 1_000_000;

function deploymentPricing(entry: ModelEntry): ModelPricing {
  const info = entry.model_info ?? {};
  const params = entry.litellm_params;
  const input = info.input_cost_per_token ?? params.input_cost_per_token;
  const output = info.output_cost_per_token ?? params.output_cost_per_token;
  const maxOutputTokens = info.max_output_tokens ?? info.max_tokens;
  if (input !== undefined || output !== undefined) {
    return { inputMicros: (input ?? 0) * PER_MILLION, outputMicros: (output ?? 0) * PER_MILLION, maxOutputTokens };
  }
  const model = params.model.slice(params.model.indexOf('/') + 1);
  const price = builtInPrice(info.base_model ?? model);
  return { inputMicros: price?.input ?? 0, outputMicros: price?.output ?? 0, maxOutputTokens };
}

export function buildModelPricing(config: GatewayConfig): Map<string, ModelPricing> {
  const groups = new Map<string, ModelPricing>();
  for (const entry of config.model_list) {
    const pricing = deploymentPricing(entry);
    const known = groups.get(entry.model_name);
    if (!known) {
      groups.set(entry.model_name, pricing);
      continue;
    }
    groups.set(entry.model_name, {
      inputMicros: Math.max(known.inputMicros, pricing.inputMicros),
      outputMicros: Math.max(known.outputMicros, pricing.outputMicros),
      maxOutputTokens:
        known.maxOutputTokens === undefined || pricing.maxOutputTokens === undefined
          ? undefined
          : Math.max(known.maxOutputTokens, pricing.maxOutputTokens),
    });
  }
  return groups;
}

export interface RequestEstimate {
  tokens: number;
  costMicros: number;
}

/**
 * Far above any real request, and below what the decision's uint32 token count can carry; keeps a
 * hostile max_tokens from overflowing the counters.
 */
const MAX_ESTIMATED_TOKENS = 10_000_000;
/** OpenAI's own ceiling on `n`; more answers than this cannot be asked for. */
const MAX_CHOICES = 128;

/**
 * `choices` is how many answers the request asks for (`n`, `best_of`): each may be as long as
 * `max_tokens`, so the output the hold covers is that many times longer.
 */
export function estimateRequest(
  pricing: ModelPricing | undefined,
  promptTokens: number,
  maxTokens: number,
  defaultMaxTokens: number,
  choices = 1,
): RequestEstimate {
  let output = maxTokens > 0 ? maxTokens : defaultMaxTokens;
  if (pricing?.maxOutputTokens !== undefined) output = Math.min(output, pricing.maxOutputTokens);
  output *= Math.min(Math.max(1, choices), MAX_CHOICES);
  const prompt = Math.min(promptTokens, MAX_ESTIMATED_TOKENS);
  output = Math.min(output, MAX_ESTIMATED_TOKENS);
  const cost = pricing ? prompt * pricing.inputMicros + output * pricing.outputMicros : 0;
  return { tokens: prompt + output, costMicros: Math.ceil(cost) };
}
