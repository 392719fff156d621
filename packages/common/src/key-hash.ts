import { createHash, createHmac } from 'node:crypto';

/**
 * A key's id everywhere (policy stores it, usage events and the ledger carry it): SHA-256 hex, or
 * HMAC-SHA256 with the configured pepper so that a copy of the database alone cannot even confirm a
 * guessed key.
 */
export function hashKey(key: string, pepper: string | undefined): string {
  return pepper ? createHmac('sha256', pepper).update(key).digest('hex') : createHash('sha256').update(key).digest('hex');
}
