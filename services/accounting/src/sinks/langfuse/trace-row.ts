import type { SqlClient } from '@sluice/common';
import { type SpendLogRecord, spendLogColumns } from '../../ledger/spend-log-record.js';

/**
 * A committed ledger row with what the export needs; `messages` and `response` come from the outbox, and
 * only when message logging is on.
 */
export type TraceRow = SpendLogRecord;

// Only rows still in the outbox: a request already exported (and deleted) is not sent again.
const LOAD_TRACE_ROWS = `
SELECT ${spendLogColumns('s.', ['messages', 'response'])}, o.messages, o.response
FROM trace_outbox o JOIN spend_logs s USING (request_id)
WHERE o.request_id = ANY($1::text[])
ORDER BY s.request_id`;

export async function loadTraceRows(sql: SqlClient, requestIds: readonly string[]): Promise<TraceRow[]> {
  const result = await sql.query<TraceRow>(LOAD_TRACE_ROWS, [requestIds]);
  return result.rows.map((row) => ({ ...row, start_time: new Date(row.start_time), end_time: new Date(row.end_time), first_token_time: row.first_token_time ? new Date(row.first_token_time) : null }));
}
