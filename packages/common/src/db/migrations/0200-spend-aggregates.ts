import type { Migration } from '../migrate.js';

// Running totals kept by accounting in the same transaction as the spend_logs insert, and only for rows
// that insert actually added, so they always equal a SUM over spend_logs. Reports read these instead of
// scanning the log. Every counter is an integer: money in micro-USD, tokens and requests as counts.
// An empty team, user or organisation id means "none" and gets no row in its table.
export const spendAggregates: Migration = {
  version: 200,
  name: 'spend-aggregates',
  sql: `
CREATE TABLE spend_by_key (
  key_hash            text PRIMARY KEY,
  key_alias           text NOT NULL DEFAULT '',
  spend_micros        bigint NOT NULL DEFAULT 0,
  requests            bigint NOT NULL DEFAULT 0,
  failures            bigint NOT NULL DEFAULT 0,
  prompt_tokens       bigint NOT NULL DEFAULT 0,
  completion_tokens   bigint NOT NULL DEFAULT 0,
  last_request_at     timestamptz NOT NULL
);
CREATE TABLE spend_by_team (
  team_id             text PRIMARY KEY,
  spend_micros        bigint NOT NULL DEFAULT 0,
  requests            bigint NOT NULL DEFAULT 0,
  failures            bigint NOT NULL DEFAULT 0,
  prompt_tokens       bigint NOT NULL DEFAULT 0,
  completion_tokens   bigint NOT NULL DEFAULT 0,
  last_request_at     timestamptz NOT NULL
);
CREATE TABLE spend_by_user (
  user_id             text PRIMARY KEY,
  spend_micros        bigint NOT NULL DEFAULT 0,
  requests            bigint NOT NULL DEFAULT 0,
  failures            bigint NOT NULL DEFAULT 0,
  prompt_tokens       bigint NOT NULL DEFAULT 0,
  completion_tokens   bigint NOT NULL DEFAULT 0,
  last_request_at     timestamptz NOT NULL
);
CREATE TABLE spend_by_organization (
  organization_id     text PRIMARY KEY,
  spend_micros        bigint NOT NULL DEFAULT 0,
  requests            bigint NOT NULL DEFAULT 0,
  failures            bigint NOT NULL DEFAULT 0,
  prompt_tokens       bigint NOT NULL DEFAULT 0,
  completion_tokens   bigint NOT NULL DEFAULT 0,
  last_request_at     timestamptz NOT NULL
);
-- One row per UTC day (of the request's start time) and combination of key, team, user, model and
-- provider. model_group is what the client asked for, model what the provider actually ran.
CREATE TABLE spend_daily (
  day                 date NOT NULL,
  key_hash            text NOT NULL,
  team_id             text NOT NULL,
  user_id             text NOT NULL,
  organization_id     text NOT NULL,
  model_group         text NOT NULL,
  model               text NOT NULL,
  provider            text NOT NULL,
  key_alias           text NOT NULL DEFAULT '',
  prompt_tokens       bigint NOT NULL DEFAULT 0,
  completion_tokens   bigint NOT NULL DEFAULT 0,
  cached_tokens       bigint NOT NULL DEFAULT 0,
  reasoning_tokens    bigint NOT NULL DEFAULT 0,
  spend_micros        bigint NOT NULL DEFAULT 0,
  requests            bigint NOT NULL DEFAULT 0,
  successes           bigint NOT NULL DEFAULT 0,
  failures            bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (day, key_hash, team_id, user_id, organization_id, model_group, model, provider)
);
CREATE INDEX spend_daily_key_day ON spend_daily (key_hash, day);
CREATE INDEX spend_daily_team_day ON spend_daily (team_id, day);
CREATE INDEX spend_daily_user_day ON spend_daily (user_id, day);
`,
};
