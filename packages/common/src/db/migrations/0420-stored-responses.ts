import type { Migration } from '../migrate.js';

// Responses API objects created with store: true, kept by the router for previous_response_id and for
// GET / DELETE /v1/responses/{id}. `conversation` is the whole exchange up to and including this
// response as chat messages, so a follow-up on any provider needs one row. Rows belong to the key that
// created them (owner = its hash) and go at expires_at.
export const storedResponses: Migration = {
  version: 420,
  name: 'stored-responses',
  sql: `
CREATE TABLE stored_responses (
  id            text PRIMARY KEY,
  owner         text NOT NULL,
  model_group   text NOT NULL DEFAULT '',
  response      jsonb NOT NULL,
  conversation  jsonb NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL
);
CREATE INDEX stored_responses_expires_at ON stored_responses (expires_at);
`,
};
