import type { Migration } from '../migrate.js';

// Usage events the ledger could not take after max_deliver attempts (unreadable bytes, values Postgres
// rejects). They are parked here, with the raw message, instead of blocking the events behind them;
// once the cause is fixed an operator can replay `payload` to the stream. request_id is empty when the
// bytes could not be decoded at all.
export const usageDeadLetters: Migration = {
  version: 201,
  name: 'usage-dead-letters',
  sql: `
CREATE TABLE usage_dead_letters (
  id                  bigserial PRIMARY KEY,
  request_id          text NOT NULL DEFAULT '',
  payload             bytea NOT NULL,
  headers             jsonb NOT NULL DEFAULT '{}',
  deliveries          integer NOT NULL,
  error               text NOT NULL,
  dead_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX usage_dead_letters_request ON usage_dead_letters (request_id);
`,
};
