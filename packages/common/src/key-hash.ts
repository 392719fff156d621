import { createHash, createHmac } from 'node:crypto';

/**
 * A key's id everywhere (policy stores it, usage events and the ledger carry it): SHA-256 hex, or
 * HMAC-SHA256 with the configured pepper so that a copy of the database alone cannot even confirm a
 * guessed key.
 */
/**
 * What the ledger, /spend/logs and Langfuse record as the master key's hash. Its real hash would be
 * one guess away for a weak master key ("sk-1234"), so a fixed label stands in for it.
 */
export const MASTER_KEY_LABEL = 'master-key';

export function hashKey(key: string, pepper: string | undefined): string {
  return pepper ? createHmac('sha256', pepper).update(key).digest('hex') : createHash('sha256').update(key).digest('hex');
}
