import type { Migration } from '../migrate.js';

// Requests committed to the ledger and not yet delivered to Langfuse. Rows are written in the ledger's
// own transaction (so a committed request is never missed) and deleted once Langfuse accepted the
// trace. queued_at is when a relay last handed the row to the export queue: a row whose queue entry was
// lost (Redis failover, flush) is handed over again once that is old enough. Prompts and responses live
// here only until export, and only when message logging is on.
export const traceOutbox: Migration = {
  version: 202,
  name: 'trace-outbox',
  sql: `
CREATE TABLE trace_outbox (
  request_id          text PRIMARY KEY,
  messages            jsonb,
  response            jsonb,
  queued_at           timestamptz
);
CREATE INDEX trace_outbox_queued ON trace_outbox (queued_at NULLS FIRST);
`,
};
