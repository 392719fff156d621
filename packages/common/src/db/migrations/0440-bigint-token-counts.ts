import type { Migration } from '../migrate.js';

// A provider may report any token count (4,294,967,295 has been seen): in an integer column the insert
// failed, the event was parked, and its spend never reached the ledger. The aggregates are bigint
// already; the log's token columns are widened to match. (Only token columns: cost is changed elsewhere.)
export const bigintTokenCounts: Migration = {
  version: 440,
  name: 'bigint-token-counts',
  sql: `
ALTER TABLE spend_logs
  ALTER COLUMN prompt_tokens TYPE bigint,
  ALTER COLUMN completion_tokens TYPE bigint,
  ALTER COLUMN total_tokens TYPE bigint,
  ALTER COLUMN cached_tokens TYPE bigint,
  ALTER COLUMN reasoning_tokens TYPE bigint;
`,
};
