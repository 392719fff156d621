import type { Migration } from '../migrate.js';

// Cost in nano-USD, exact: tokens x price without rounding each request up to a whole micro-USD (which
// put a ledger of cheap requests several percent above what they cost). The micro-USD columns stay, for
// readers of older releases, but nothing of Sluice's reads them any more. Existing rows keep their
// (rounded) cost, now in nano-USD. price_source says which price a row used, e.g. "genai-prices@0.1.8".
export const costNanos: Migration = {
  version: 400,
  name: 'cost-nanos',
  sql: `
ALTER TABLE spend_logs
  ADD COLUMN cost_nanos bigint NOT NULL DEFAULT 0,
  ADD COLUMN price_source text NOT NULL DEFAULT '',
  ADD COLUMN cache_write_5m_tokens integer NOT NULL DEFAULT 0,
  ADD COLUMN cache_write_1h_tokens integer NOT NULL DEFAULT 0;
UPDATE spend_logs SET cost_nanos = cost_micros * 1000 WHERE cost_micros <> 0;
ALTER TABLE spend_daily ADD COLUMN spend_nanos bigint NOT NULL DEFAULT 0;
UPDATE spend_daily SET spend_nanos = spend_micros * 1000 WHERE spend_micros <> 0;
ALTER TABLE spend_by_key ADD COLUMN spend_nanos bigint NOT NULL DEFAULT 0;
UPDATE spend_by_key SET spend_nanos = spend_micros * 1000 WHERE spend_micros <> 0;
ALTER TABLE spend_by_team ADD COLUMN spend_nanos bigint NOT NULL DEFAULT 0;
UPDATE spend_by_team SET spend_nanos = spend_micros * 1000 WHERE spend_micros <> 0;
ALTER TABLE spend_by_user ADD COLUMN spend_nanos bigint NOT NULL DEFAULT 0;
UPDATE spend_by_user SET spend_nanos = spend_micros * 1000 WHERE spend_micros <> 0;
ALTER TABLE spend_by_organization ADD COLUMN spend_nanos bigint NOT NULL DEFAULT 0;
UPDATE spend_by_organization SET spend_nanos = spend_micros * 1000 WHERE spend_micros <> 0;
`,
};
