import type { Deployment } from '../providers/provider-adapter.js';

// /health answers name endpoints and quote provider errors; neither may carry a credential. An api_base
// can hold one (https://user:secret@host, ?api-key=..., a signed URL), and a provider's error text often
// echoes part of the key ("Incorrect API key provided: sk-abc***xyz").

/** Scheme, host and path of an api_base; no user info, query or fragment. */
export function publicApiBase(apiBase: string): string {
  try {
    const url = new URL(apiBase);
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return '';
  }
}

const SECRET_PATTERNS: readonly RegExp[] = [
  // OpenAI-style, Anthropic, Groq, ... keys, masked or not.
  /\b(sk|pk|rk|gsk|xai)-[A-Za-z0-9_*.-]{4,}/g,
  // Google API keys.
  /\bAIza[0-9A-Za-z_-]{10,}/g,
  // AWS access key ids.
  /\b(AKIA|ASIA)[0-9A-Z]{12,}/g,
  // Bearer tokens.
  /\bBearer\s+[A-Za-z0-9._~+/=-]+/gi,
];

/** A provider's error text with the deployment's secrets, and anything shaped like a key, removed. */
export function redactSecrets(text: string, deployment: Deployment): string {
  let out = text;
  const { params } = deployment;
  const secrets = [
    deployment.apiKey,
    params.aws_secret_access_key,
    params.aws_access_key_id,
    params.aws_session_token,
    params.vertex_credentials,
    ...Object.values(params.extra_headers ?? {}),
  ].filter((value): value is string => typeof value === 'string' && value.length >= 4);
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, '[redacted]');
  // Whatever sat in the configured api_base beyond its public part (user info, query) goes too.
  try {
    const url = new URL(deployment.apiBase);
    for (const part of [url.username, url.password, url.search.slice(1)]) if (part.length >= 4) out = out.split(part).join('[redacted]');
  } catch {
    // An unusable api_base has nothing to hide.
  }
  return out.slice(0, 500);
}
