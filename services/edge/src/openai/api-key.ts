import type { IncomingHttpHeaders } from 'node:http';

/**
 * The client's key, from `Authorization: Bearer`, `api-key` (Azure SDKs) or `x-api-key` (Anthropic
 * style), or an extra header the operator named (general_settings.litellm_key_header_name).
 */
export function extractApiKey(headers: IncomingHttpHeaders, extraHeader?: string): string {
  const authorization = headers.authorization;
  if (authorization) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization);
    return (match ? match[1]! : authorization).trim();
  }
  const fromHeader = (name: string) => {
    const value = headers[name];
    return (Array.isArray(value) ? value[0] : value)?.trim() ?? '';
  };
  return fromHeader('api-key') || fromHeader('x-api-key') || (extraHeader ? fromHeader(extraHeader.toLowerCase()) : '');
}
