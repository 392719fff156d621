import type { Migration } from '../migrate.js';

// Keys, teams, users and organisations: the truth policy caches and counts against. Money is integer
// micro-USD. Every row has a `version`, drawn from one sequence on each change (and on deletion), so
// versions only ever grow, even for an id deleted and created again; policy copies it into Redis so a
// replica holding an older copy in its cache notices on its next decision.
//
// The same limit columns appear on all four tables, because one decision checks all four at once:
//   max_budget_micros / soft_budget_micros  budget for the current period (NULL = none)
//   budget_duration                          "30d", "1mo", ... (NULL = the period never ends)
//   budget_period_start                      spend counts from here (spend_logs.start_time >= it)
//   budget_reset_at                          when the period ends; next_reset_at is the earliest of it
//                                            and the per-model budget resets, for the reset job's index
//   model_max_budget                         {"gpt-4o": {"budget_limit": 0.5, "time_period": "1d"}} as given
//   model_budget_periods                     {"gpt-4o": {"start": <ms>, "reset_at": <ms|null>}}
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
  updated_by             text NOT NULL DEFAULT ''`;

export const policyEntities: Migration = {
  version: 100,
  name: 'policy-entities',
  sql: `
CREATE SEQUENCE entity_versions;

CREATE TABLE organizations (
  organization_id    text PRIMARY KEY,
  organization_alias text,
  ${limitColumns}
);

CREATE TABLE teams (
  team_id         text PRIMARY KEY,
  team_alias      text,
  organization_id text REFERENCES organizations (organization_id) ON DELETE RESTRICT,
  ${limitColumns}
);
CREATE INDEX teams_organization ON teams (organization_id);

CREATE TABLE users (
  user_id         text PRIMARY KEY,
  user_alias      text,
  user_email      text,
  user_role       text NOT NULL DEFAULT 'internal_user',
  organization_id text REFERENCES organizations (organization_id) ON DELETE SET NULL,
  ${limitColumns}
);
CREATE UNIQUE INDEX users_email ON users (lower(user_email)) WHERE user_email IS NOT NULL;

CREATE TABLE team_members (
  team_id    text NOT NULL REFERENCES teams (team_id) ON DELETE CASCADE,
  user_id    text NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
  role       text NOT NULL DEFAULT 'user',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

-- key_id is the key's stable id (its Redis counters, its spend across regenerations); token is the
-- hash of the current value, the only form in which a key is stored. retired_tokens keeps the hashes of
-- earlier values so their spend still counts after a regenerate.
CREATE TABLE api_keys (
  key_id          text PRIMARY KEY,
  token           text NOT NULL UNIQUE,
  retired_tokens  text[] NOT NULL DEFAULT '{}',
  key_name        text NOT NULL,
  key_alias       text UNIQUE,
  expires         timestamptz,
  aliases         jsonb NOT NULL DEFAULT '{}',
  team_id         text REFERENCES teams (team_id) ON DELETE CASCADE,
  user_id         text REFERENCES users (user_id) ON DELETE CASCADE,
  organization_id text REFERENCES organizations (organization_id) ON DELETE CASCADE,
  ${limitColumns}
);
CREATE INDEX api_keys_team ON api_keys (team_id);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE INDEX organizations_next_reset ON organizations (next_reset_at) WHERE next_reset_at IS NOT NULL;
CREATE INDEX teams_next_reset ON teams (next_reset_at) WHERE next_reset_at IS NOT NULL;
CREATE INDEX users_next_reset ON users (next_reset_at) WHERE next_reset_at IS NOT NULL;
CREATE INDEX api_keys_next_reset ON api_keys (next_reset_at) WHERE next_reset_at IS NOT NULL;

-- Rebuilding an organisation's spend from the ledger (the other scopes have their index already).
CREATE INDEX IF NOT EXISTS spend_logs_organization_time ON spend_logs (organization_id, start_time);
`,
};
