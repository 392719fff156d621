import { createHash, createHmac } from 'node:crypto';

/**
 * A key filter as LiteLLM's spend routes take it: the stored hash, or the key itself ("sk-..."), which
 * is hashed the way policy stores it (SHA-256, or HMAC-SHA256 with SLUICE_KEY_PEPPER).
 */
export function keyHashFilter(value: string, pepper: string | undefined): string {
  if (/^[0-9a-f]{64}$/.test(value)) return value;
  return pepper ? createHmac('sha256', pepper).update(value).digest('hex') : createHash('sha256').update(value).digest('hex');
}
