import type { SqlClient } from '@sluice/common';
import { jsonbParameter } from './jsonb-parameter.js';

export interface DeadLetter {
  requestId: string;
  payload: Uint8Array;
  headers: Record<string, string>;
  deliveries: number;
  error: string;
}

const INSERT_DEAD_LETTERS = `
INSERT INTO usage_dead_letters (request_id, payload, headers, deliveries, error)
SELECT request_id, decode(payload, 'base64'), headers, deliveries, error
FROM jsonb_to_recordset($1::jsonb) AS r(request_id text, payload text, headers jsonb, deliveries integer, error text)`;

/** Parks events the ledger cannot take, with their raw bytes, so an operator can fix and replay them. */
export async function parkDeadLetters(sql: SqlClient, letters: readonly DeadLetter[]): Promise<void> {
  if (letters.length === 0) return;
  const rows = letters.map((letter) => ({
    request_id: letter.requestId,
    payload: Buffer.from(letter.payload).toString('base64'),
    headers: letter.headers,
    deliveries: letter.deliveries,
    error: letter.error.slice(0, 2_000),
  }));
  await sql.query(INSERT_DEAD_LETTERS, [jsonbParameter(rows)]);
}
