import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A key's id everywhere: SHA-256 hex, or HMAC-SHA256 with the configured pepper so that a copy of the
 * database alone cannot even confirm a guessed key.
 */
export function hashKey(key: string, pepper: string | undefined): string {
  return pepper ? createHmac('sha256', pepper).update(key).digest('hex') : createHash('sha256').update(key).digest('hex');
}

/** A matcher for one fixed secret: its digest is computed once, each candidate's once per call. */
export function secretMatcher(expected: string): (presented: string) => boolean {
  const digest = createHash('sha256').update(expected).digest();
  return (presented) => timingSafeEqual(createHash('sha256').update(presented).digest(), digest);
}

/** "sk-...7sFA": enough to recognise a key, never enough to use it. */
export function displayName(key: string): string {
  return `sk-...${key.slice(-4)}`;
}
