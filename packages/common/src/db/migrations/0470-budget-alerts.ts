import type { Migration } from '../migrate.js';

// Budget alerts (general_settings.alerting): one row per threshold crossed, per entity, budget period
// and channel. The primary key is the once-only guard: whichever accounting replica inserts the row
// first (INSERT ... ON CONFLICT DO NOTHING) sends it, so restarts and replicas never send it twice.
// A row stays until its channel accepted it (delivered_at); next_attempt_at is both the retry time and
// a lease, so a row one replica is sending is not picked up by another one's sweep meanwhile.
export const budgetAlerts: Migration = {
  version: 470,
  name: 'budget-alerts',
  sql: `
CREATE TABLE budget_alerts (
  entity_type      text NOT NULL,
  entity_id        text NOT NULL,
  period_start     timestamptz NOT NULL,
  threshold        text NOT NULL,
  channel          text NOT NULL,
  payload          jsonb NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL,
  delivered_at     timestamptz,
  last_error       text,
  PRIMARY KEY (entity_type, entity_id, period_start, threshold, channel)
);
CREATE INDEX budget_alerts_pending ON budget_alerts (next_attempt_at) WHERE delivered_at IS NULL;
`,
};
