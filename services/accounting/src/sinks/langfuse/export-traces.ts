import type { Logger, Sql } from '@sluice/common';
import type { LangfuseClient } from './langfuse-client.js';
import { type OtlpOptions, toOtlpTraceRequest } from './otlp-traces.js';
import { loadTraceRows, type TraceRow } from './trace-row.js';

// Langfuse takes a few MB per request; a batch whose body is larger is sent in halves.
const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** The work of one export job: the queued requests still in the outbox go to Langfuse, then leave it. */
export type ExportTraces = (requestIds: readonly string[]) => Promise<number>;

export function createTraceExporter(sql: Sql, client: LangfuseClient, options: OtlpOptions, logger: Logger): ExportTraces {
  async function send(rows: TraceRow[]): Promise<void> {
    const body = toOtlpTraceRequest(rows, options);
    if (rows.length > 1 && Buffer.byteLength(JSON.stringify(body)) > MAX_BODY_BYTES) {
      const middle = Math.ceil(rows.length / 2);
      await send(rows.slice(0, middle));
      await send(rows.slice(middle));
      return;
    }
    await client.sendTraces(body);
    await sql.query('DELETE FROM trace_outbox WHERE request_id = ANY($1::text[])', [rows.map((row) => row.request_id)]);
  }

  return async function exportTraces(requestIds) {
    if (requestIds.length === 0) return 0;
    const rows = await loadTraceRows(sql, requestIds);
    if (rows.length === 0) return 0;
    try {
      await send(rows);
      return rows.length;
    } catch (error) {
      // Still being worked on: keep the relay from queueing these a second time while retries go on.
      await sql
        .query('UPDATE trace_outbox SET queued_at = now() WHERE request_id = ANY($1::text[])', [requestIds])
        .catch((touchError: unknown) => logger.debug({ err: touchError }, 'could not refresh trace_outbox.queued_at'));
      throw error;
    }
  };
}
