import type { Deployment } from '../provider-adapter.js';

// A provider's error message may quote what it was sent: a 400 that echoes the Authorization header
// carries the provider key. Every message passed on from a provider goes through this first.

const CREDENTIAL_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'x-amz-security-token',
  'ocp-apim-subscription-key',
]);
/** litellm_params whose string values are credentials (api_key, aws_secret_access_key, vertex_credentials, ...). */
const CREDENTIAL_PARAM = /key|secret|token|password|credential/i;
/** Shorter values ("us", "1") would redact ordinary words; no real credential is this short. */
const MIN_SECRET_LENGTH = 8;
const REDACTED = '[redacted]';

function addSecret(secrets: Set<string>, value: unknown): void {
  if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return;
  secrets.add(value);
  // "Bearer sk-..." or "AWS4-HMAC-SHA256 Credential=...": the part after the scheme, alone.
  const space = value.indexOf(' ');
  if (space > 0) addSecret(secrets, value.slice(space + 1));
  // A JSON credential (a Vertex service account): its credential fields too (private_key, ...).
  if (value.startsWith('{')) {
    try {
      for (const [name, inner] of Object.entries(JSON.parse(value) as Record<string, unknown>)) {
        if (CREDENTIAL_PARAM.test(name)) addSecret(secrets, inner);
      }
    } catch {
      // Not JSON after all: the whole value is already in.
    }
  }
}

/** The deployment's credentials and the credential headers sent upstream, longest first. */
export function deploymentCredentials(deployment: Deployment, headers: Readonly<Record<string, string>> = {}): string[] {
  const secrets = new Set<string>();
  addSecret(secrets, deployment.apiKey);
  for (const [name, value] of Object.entries(deployment.params)) if (CREDENTIAL_PARAM.test(name)) addSecret(secrets, value);
  for (const [name, value] of Object.entries(headers)) if (CREDENTIAL_HEADERS.has(name.toLowerCase())) addSecret(secrets, value);
  return [...secrets].sort((a, b) => b.length - a.length);
}

/** The text with every occurrence of every credential replaced by "[redacted]". */
export function scrubCredentials(text: string, credentials: readonly string[]): string {
  let out = text;
  for (const secret of credentials) if (out.includes(secret)) out = out.replaceAll(secret, REDACTED);
  return out;
}
