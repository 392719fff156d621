import { createHash, timingSafeEqual } from 'node:crypto';

import { hashKey } from '@sluice/common';

export { hashKey };

/**
 * The hashes a presented key may be stored under, most likely first: Sluice's own (peppered when a
 * pepper is configured), then LiteLLM's plain SHA-256 for keys imported from it. Without a pepper the
 * two are the same and there is one.
 */
export function candidateTokens(key: string, pepper: string | undefined): { token: string; hashKind: 'sluice' | 'sha256' }[] {
  const own = { token: hashKey(key, pepper), hashKind: 'sluice' as const };
  return pepper ? [own, { token: hashKey(key, undefined), hashKind: 'sha256' }] : [own];
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
