import { createHash, timingSafeEqual } from 'node:crypto';

export { hashKey } from '@sluice/common';

/** A matcher for one fixed secret: its digest is computed once, each candidate's once per call. */
export function secretMatcher(expected: string): (presented: string) => boolean {
  const digest = createHash('sha256').update(expected).digest();
  return (presented) => timingSafeEqual(createHash('sha256').update(presented).digest(), digest);
}

/** "sk-...7sFA": enough to recognise a key, never enough to use it. */
export function displayName(key: string): string {
  return `sk-...${key.slice(-4)}`;
}
