import type { Migration } from '../migrate.js';

// LiteLLM's reusable budgets (`budget_id`), end users (customers: the request's `user`) and tags with
// budgets. End users and tags are counted like keys and teams, so they carry the same limit columns
// (see 0100) and the import's carried spend (see 0410). A budget row is a template: a key, organisation,
// end user or tag that links one takes each limit it does not set itself from the budget; the spend is
// still that entity's own. When the budget's max_budget is what applies, so does the budget's period
// (budget_duration, budget_period_start, budget_reset_at), which the reset job advances on the budget
// row. Deleting a budget that is still linked is refused (RESTRICT).
const limitColumns = `
  models                 text[] NOT NULL DEFAULT '{}',
  max_budget_micros      bigint,
  soft_budget_micros     bigint,
  budget_duration        text,
  budget_period_start    timestamptz NOT NULL DEFAULT now(),
  budget_reset_at        timestamptz,
  next_reset_at          timestamptz,
  rpm_limit              bigint,
  tpm_limit              bigint,
  max_parallel_requests  integer,
  model_max_budget       jsonb NOT NULL DEFAULT '{}',
  model_budget_periods   jsonb NOT NULL DEFAULT '{}',
  model_rpm_limit        jsonb NOT NULL DEFAULT '{}',
  model_tpm_limit        jsonb NOT NULL DEFAULT '{}',
  metadata               jsonb NOT NULL DEFAULT '{}',
  blocked                boolean NOT NULL DEFAULT false,
  version                bigint NOT NULL DEFAULT nextval('entity_versions'),
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  created_by             text NOT NULL DEFAULT '',
  updated_by             text NOT NULL DEFAULT '',
  carried_spend_micros   bigint NOT NULL DEFAULT 0,
  carried_period_start   timestamptz`;

export const budgetsEndUsersTags: Migration = {
  version: 490,
  name: 'budgets-end-users-tags',
  sql: `
CREATE TABLE budgets (
  budget_id text PRIMARY KEY,
  ${limitColumns}
);
CREATE INDEX budgets_next_reset ON budgets (next_reset_at) WHERE next_reset_at IS NOT NULL;

ALTER TABLE api_keys ADD COLUMN budget_id text REFERENCES budgets (budget_id) ON DELETE RESTRICT;
ALTER TABLE organizations ADD COLUMN budget_id text REFERENCES budgets (budget_id) ON DELETE RESTRICT;
CREATE INDEX api_keys_budget ON api_keys (budget_id) WHERE budget_id IS NOT NULL;
CREATE INDEX organizations_budget ON organizations (budget_id) WHERE budget_id IS NOT NULL;

CREATE TABLE end_users (
  user_id              text PRIMARY KEY,
  alias     text,
  budget_id text REFERENCES budgets (budget_id) ON DELETE RESTRICT,
  ${limitColumns}
);
CREATE INDEX end_users_budget ON end_users (budget_id) WHERE budget_id IS NOT NULL;
CREATE INDEX end_users_next_reset ON end_users (next_reset_at) WHERE next_reset_at IS NOT NULL;

CREATE TABLE tags (
  tag_name    text PRIMARY KEY,
  description text,
  budget_id   text REFERENCES budgets (budget_id) ON DELETE RESTRICT,
  ${limitColumns}
);
CREATE INDEX tags_budget ON tags (budget_id) WHERE budget_id IS NOT NULL;
CREATE INDEX tags_next_reset ON tags (next_reset_at) WHERE next_reset_at IS NOT NULL;

-- Rebuilding an end user's or a tag's spend from the ledger.
CREATE INDEX IF NOT EXISTS spend_logs_end_user_time ON spend_logs (end_user, start_time) WHERE end_user <> '';
CREATE INDEX IF NOT EXISTS spend_logs_tags ON spend_logs USING gin (tags);
`,
};
