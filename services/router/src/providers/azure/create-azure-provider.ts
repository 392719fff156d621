import { createOpenAiCompatibleProvider } from '../openai-compatible/create-openai-compatible-provider.js';
import type { Deployment, ProviderAdapter } from '../provider-adapter.js';
import { splitApiBase } from '../shared/api-base.js';

/** Used when a deployment on the classic URL form sets no api_version. */
export const DEFAULT_AZURE_API_VERSION = '2024-10-21';
/** The first GA-track api-version with the Responses API, used when a deployment sets none. */
export const DEFAULT_AZURE_RESPONSES_API_VERSION = '2025-04-01-preview';

/**
 * Azure OpenAI's two URL forms for a call path such as /chat/completions:
 * - classic: `https://{resource}.openai.azure.com/openai/deployments/{deployment}/chat/completions?api-version=…`
 *   (api_base is the resource URL; the deployment name is the model after `azure/`);
 * - v1: api_base ends in `/openai/v1`, and the path follows it as on OpenAI, api-version only if configured.
 */
export function azureUrl(deployment: Deployment, path: string): { origin: string; path: string } {
  const { origin, basePath } = splitApiBase(deployment.apiBase);
  const version = deployment.params.api_version;
  if (/\/openai\/v1$/.test(basePath)) {
    const query = version && version !== 'v1' ? `?api-version=${encodeURIComponent(version)}` : '';
    return { origin, path: `${basePath}${path}${query}` };
  }
  const prefix = basePath.replace(/\/openai$/, '');
  // The Responses API is not under a deployment on Azure: the deployment is the body's model.
  if (path === '/responses') {
    return { origin, path: `${prefix}/openai/responses?api-version=${encodeURIComponent(version ?? DEFAULT_AZURE_RESPONSES_API_VERSION)}` };
  }
  return {
    origin,
    path: `${prefix}/openai/deployments/${encodeURIComponent(deployment.model)}${path}?api-version=${encodeURIComponent(version ?? DEFAULT_AZURE_API_VERSION)}`,
  };
}

/** Azure OpenAI (`azure/`): OpenAI's wire format with Azure's URLs and the `api-key` header. */
export function createAzureProvider(): ProviderAdapter {
  return createOpenAiCompatibleProvider({
    responses: true,
    url: azureUrl,
    authHeaders: (deployment): Record<string, string> => (deployment.apiKey ? { 'api-key': deployment.apiKey } : {}),
  });
}
