import { hashKey, MASTER_KEY_LABEL } from '@sluice/common';

/**
 * A key filter as LiteLLM's spend routes take it: the stored hash, or the key itself ("sk-..."), which
 * is hashed the way policy stores it.
 */
export function keyHashFilter(value: string, pepper: string | undefined, masterKey?: string): string {
  // The master key's rows carry a label, not its hash.
  if (value === MASTER_KEY_LABEL || (masterKey !== undefined && masterKey !== '' && value === masterKey)) return MASTER_KEY_LABEL;
  return /^[0-9a-f]{64}$/.test(value) ? value : hashKey(value, pepper);
}
