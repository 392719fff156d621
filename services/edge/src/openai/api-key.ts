import type { IncomingHttpHeaders } from 'node:http';

/**
 * The client's key. LiteLLM's own header, `x-litellm-api-key`, comes first: clients send it when their
 * `Authorization` carries something else (a provider's credentials on a pass-through). Then
 * `Authorization: Bearer`, `api-key` (Azure SDKs), `x-api-key` (Anthropic style), and an extra header
 * the operator named (general_settings.litellm_key_header_name).
 */
export function extractApiKey(headers: IncomingHttpHeaders, extraHeader?: string): string {
  const fromHeader = (name: string) => {
    const value = headers[name];
    return (Array.isArray(value) ? value[0] : value)?.trim() ?? '';
  };
  const litellm = fromHeader('x-litellm-api-key');
  if (litellm) return /^Bearer\s+(.+)$/i.exec(litellm)?.[1]?.trim() ?? litellm;
  const authorization = headers.authorization;
  if (authorization) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization);
    return (match ? match[1]! : authorization).trim();
  }
  return fromHeader('api-key') || fromHeader('x-api-key') || (extraHeader ? fromHeader(extraHeader.toLowerCase()) : '');
}
