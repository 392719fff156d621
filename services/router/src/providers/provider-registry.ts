import type { LitellmParams } from '@sluice/common';
import { createAnthropicProvider } from './anthropic/create-anthropic-provider.js';
import { createAzureProvider } from './azure/create-azure-provider.js';
import { bedrockApiBase, createBedrockProvider } from './bedrock/create-bedrock-provider.js';
import { createGeminiProvider, DEFAULT_VERTEX_LOCATION, vertexApiBase } from './gemini/create-gemini-provider.js';
import { createVertexTokenSource } from './gemini/vertex-token-source.js';
import { createOllamaProvider } from './ollama/ollama-chat.js';
import { createOpenAiCompatibleProvider } from './openai-compatible/create-openai-compatible-provider.js';
import type { Deployment, ProviderAdapter } from './provider-adapter.js';
import { createBedrockClaudeAdapter, isBedrockClaude } from './bedrock/create-bedrock-claude-adapter.js';
import { createResponsesOnlyAdapter, RESPONSES_ONLY_PREFIX } from './azure/create-responses-only-adapter.js';
import { createVertexClaudeAdapter, isVertexClaude } from './vertex-claude/create-vertex-claude-adapter.js';

export interface ProviderEntry {
  adapter: ProviderAdapter;
  /** Used when the deployment sets no api_base; undefined means api_base is required. */
  defaultApiBase: (params: LitellmParams) => string | undefined;
  /** A deployment-specific adapter, where the model name says the deployment works differently. */
  adapterFor?: (deployment: Deployment) => ProviderAdapter;
}

const openAiCompatible = createOpenAiCompatibleProvider();
const openAi = createOpenAiCompatibleProvider({ responses: true });
const azure = createAzureProvider();
const bedrock = createBedrockProvider();
// Claude on Bedrock answers Anthropic Messages clients natively (InvokeModel), chat through Converse.
const bedrockClaude = createBedrockClaudeAdapter(bedrock);
// LiteLLM's `azure/responses/<model>`: a deployment that serves the Responses API only.
const azureResponsesOnly = createResponsesOnlyAdapter(azure);
// One token source for every Vertex AI deployment, Gemini or Claude: a deployment's token is fetched once.
const vertexTokens = createVertexTokenSource();
const vertexGemini = createGeminiProvider({ vertex: { tokenSource: vertexTokens } });
// Claude on Vertex AI speaks Anthropic's Messages API (rawPredict), not Gemini's.
const vertexClaude = createVertexClaudeAdapter(vertexTokens);
const fixed = (url: string | undefined) => () => url;
const compatible = (url: string | undefined): ProviderEntry => ({ adapter: openAiCompatible, defaultApiBase: fixed(url) });

// litellm_params.model prefix → adapter. OpenAI-compatible providers differ only in their base URL.
const PROVIDERS: Record<string, ProviderEntry> = {
  openai: { adapter: openAi, defaultApiBase: fixed('https://api.openai.com/v1') },
  'text-completion-openai': { adapter: openAi, defaultApiBase: fixed('https://api.openai.com/v1') },
  custom_openai: compatible(undefined),
  openai_like: compatible(undefined),
  hosted_vllm: compatible(undefined),
  lm_studio: compatible(undefined),
  groq: compatible('https://api.groq.com/openai/v1'),
  together_ai: compatible('https://api.together.xyz/v1'),
  deepseek: compatible('https://api.deepseek.com/v1'),
  mistral: compatible('https://api.mistral.ai/v1'),
  openrouter: compatible('https://openrouter.ai/api/v1'),
  fireworks_ai: compatible('https://api.fireworks.ai/inference/v1'),
  xai: compatible('https://api.x.ai/v1'),
  perplexity: compatible('https://api.perplexity.ai'),
  cerebras: compatible('https://api.cerebras.ai/v1'),
  deepinfra: compatible('https://api.deepinfra.com/v1/openai'),
  azure: { adapter: azure, defaultApiBase: fixed(undefined), adapterFor: (deployment) => (deployment.model.startsWith(RESPONSES_ONLY_PREFIX) ? azureResponsesOnly : azure) },
  anthropic: { adapter: createAnthropicProvider(), defaultApiBase: fixed('https://api.anthropic.com') },
  gemini: { adapter: createGeminiProvider(), defaultApiBase: fixed('https://generativelanguage.googleapis.com') },
  vertex_ai: {
    adapter: vertexGemini,
    defaultApiBase: (params) => vertexApiBase(params.vertex_location ?? DEFAULT_VERTEX_LOCATION),
    adapterFor: (deployment) => (isVertexClaude(deployment) ? vertexClaude : vertexGemini),
  },
  bedrock: { adapter: bedrock, defaultApiBase: bedrockApiBase, adapterFor: (deployment) => (isBedrockClaude(deployment) ? bedrockClaude : bedrock) },
  ollama: { adapter: createOllamaProvider(), defaultApiBase: fixed('http://localhost:11434') },
  ollama_chat: { adapter: createOllamaProvider(), defaultApiBase: fixed('http://localhost:11434') },
};

export function providerFor(prefix: string): ProviderEntry | undefined {
  return Object.hasOwn(PROVIDERS, prefix) ? PROVIDERS[prefix] : undefined;
}

/**
 * The adapter a deployment is called with (before any inbound translation): its provider's, or the one
 * its model name asks for (Claude on Bedrock or Vertex AI, Azure's Responses-only models).
 */
export function deploymentAdapter(deployment: Deployment): ProviderAdapter {
  const entry = PROVIDERS[deployment.provider]!;
  return entry.adapterFor?.(deployment) ?? entry.adapter;
}

export function supportedProviders(): string[] {
  return Object.keys(PROVIDERS).sort();
}
