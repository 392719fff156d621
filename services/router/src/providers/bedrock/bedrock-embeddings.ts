import { GatewayError } from '@sluice/common';
import type { AdapterContext, ParsedResponse } from '../provider-adapter.js';
import { embeddingListBody } from '../shared/chat-completion-body.js';
import { embeddingInputs, estimateTextTokens } from '../shared/openai-messages.js';
import { checkSupportedParams } from '../shared/supported-params.js';

// Bedrock has no common embeddings API: each model family's InvokeModel body is its own. Titan and
// Cohere are the families whose wire format is documented.

export function isTitanEmbedding(model: string): boolean {
  return /(^|\.)amazon\.titan-embed/.test(model);
}

export function isCohereEmbedding(model: string): boolean {
  return /(^|\.)cohere\.embed/.test(model);
}

/** The InvokeModel body for an OpenAI embeddings request. */
export function buildBedrockEmbeddingBody(context: AdapterContext, body: Record<string, unknown>): Record<string, unknown> {
  const model = context.deployment.model;
  checkSupportedParams(context, body, new Set(['dimensions', 'encoding_format']));
  const texts = embeddingInputs(body);
  if (isTitanEmbedding(model)) {
    // Titan embeds one text per call; a batch would need one call per input.
    if (texts.length !== 1) {
      throw new GatewayError('invalid_request', 'Titan embedding models take one input per request.', { param: 'input' });
    }
    return { inputText: texts[0], ...(typeof body.dimensions === 'number' ? { dimensions: body.dimensions } : {}) };
  }
  if (isCohereEmbedding(model)) return { texts, input_type: 'search_document' };
  throw new GatewayError('invalid_request', `Embeddings are not supported for the Bedrock model "${model}".`);
}

interface TitanEmbedding {
  embedding?: number[];
  inputTextTokenCount?: number;
}
interface CohereEmbedding {
  embeddings?: number[][] | { float?: number[][] };
}

export function parseBedrockEmbedding(context: AdapterContext, raw: Buffer): ParsedResponse {
  const parsed = JSON.parse(raw.toString('utf8')) as TitanEmbedding & CohereEmbedding;
  if (isTitanEmbedding(context.deployment.model)) {
    const usage = { promptTokens: parsed.inputTextTokenCount ?? 0, completionTokens: 0, cachedTokens: 0, reasoningTokens: 0 };
    return { body: embeddingListBody(context, [parsed.embedding ?? []], usage), usage, finishReason: '' };
  }
  const vectors = Array.isArray(parsed.embeddings) ? parsed.embeddings : (parsed.embeddings?.float ?? []);
  // Cohere on Bedrock reports no token count: estimated, and flagged as such.
  const usage = { promptTokens: estimateTextTokens(embeddingInputs(context.body)), completionTokens: 0, cachedTokens: 0, reasoningTokens: 0 };
  return { body: embeddingListBody(context, vectors, usage), usage, usageEstimated: true, finishReason: '' };
}
