import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A key's id everywhere: SHA-256 hex, or HMAC-SHA256 with the configured pepper so that a copy of the
 * database alone cannot even confirm a guessed key.
 */
export function hashKey(key: string, pepper: string | undefined): string {
  return pepper ? createHmac('sha256', pepper).update(key).digest('hex') : createHash('sha256').update(key).digest('hex');
}

/** Compares two secrets in constant time (over their digests, so lengths may differ). */
export function secretsEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** "sk-...7sFA": enough to recognise a key, never enough to use it. */
export function displayName(key: string): string {
  return `sk-...${key.slice(-4)}`;
}
