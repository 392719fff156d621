import type { Migration } from '../migrate.js';

// One row per finished request, written only by accounting from usage events. request_id is the
// idempotency key: a redelivered or duplicated event inserts nothing.
export const spendLogs: Migration = {
  version: 1,
  name: 'spend-logs',
  sql: `
CREATE TABLE spend_logs (
  request_id          text PRIMARY KEY,
  key_hash            text NOT NULL DEFAULT '',
  key_alias           text NOT NULL DEFAULT '',
  team_id             text NOT NULL DEFAULT '',
  user_id             text NOT NULL DEFAULT '',
  organization_id     text NOT NULL DEFAULT '',
  end_user            text NOT NULL DEFAULT '',
  call_type           text NOT NULL DEFAULT '',
  model_group         text NOT NULL DEFAULT '',
  deployment_id       text NOT NULL DEFAULT '',
  provider            text NOT NULL DEFAULT '',
  model               text NOT NULL DEFAULT '',
  api_base_host       text NOT NULL DEFAULT '',
  stream              boolean NOT NULL DEFAULT false,
  prompt_tokens       integer NOT NULL DEFAULT 0,
  completion_tokens   integer NOT NULL DEFAULT 0,
  total_tokens        integer NOT NULL DEFAULT 0,
  cached_tokens       integer NOT NULL DEFAULT 0,
  reasoning_tokens    integer NOT NULL DEFAULT 0,
  cost_micros         bigint NOT NULL DEFAULT 0,
  usage_estimated     boolean NOT NULL DEFAULT false,
  start_time          timestamptz NOT NULL,
  first_token_time    timestamptz,
  end_time            timestamptz NOT NULL,
  overhead_us         bigint NOT NULL DEFAULT 0,
  status              text NOT NULL,
  error_code          text NOT NULL DEFAULT '',
  http_status         integer NOT NULL DEFAULT 0,
  attempts            integer NOT NULL DEFAULT 0,
  cache_hit           boolean NOT NULL DEFAULT false,
  cache_key           text NOT NULL DEFAULT '',
  tags                text[] NOT NULL DEFAULT '{}',
  trace_id            text NOT NULL DEFAULT '',
  session_id          text NOT NULL DEFAULT '',
  generation_name     text NOT NULL DEFAULT '',
  metadata            jsonb NOT NULL DEFAULT '{}',
  model_parameters    jsonb,
  messages            jsonb,
  response            jsonb,
  inserted_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX spend_logs_start_time ON spend_logs (start_time);
CREATE INDEX spend_logs_key_time ON spend_logs (key_hash, start_time);
CREATE INDEX spend_logs_team_time ON spend_logs (team_id, start_time);
CREATE INDEX spend_logs_user_time ON spend_logs (user_id, start_time);
`,
};
