import { hashKey } from '@sluice/common';

/**
 * A key filter as LiteLLM's spend routes take it: the stored hash, or the key itself ("sk-..."), which
 * is hashed the way policy stores it.
 */
export function keyHashFilter(value: string, pepper: string | undefined): string {
  return /^[0-9a-f]{64}$/.test(value) ? value : hashKey(value, pepper);
}
