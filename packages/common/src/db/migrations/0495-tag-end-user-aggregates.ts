import type { Migration } from '../migrate.js';

// Daily spend per request tag and per end user, kept by accounting in the statement that inserts the
// log rows, so LiteLLM's /spend/tags, /global/spend/tags and /global/spend/end_users read a few rows per
// day instead of scanning spend_logs. A request with two tags counts under both; an untagged request
// has no tag row (as LiteLLM's tag reports). Existing rows are summed in once, here.
export const tagEndUserAggregates: Migration = {
  version: 495,
  name: 'tag-end-user-aggregates',
  sql: `
CREATE TABLE spend_daily_tags (
  day                 date NOT NULL,
  tag                 text NOT NULL,
  model_group         text NOT NULL,
  prompt_tokens       bigint NOT NULL DEFAULT 0,
  completion_tokens   bigint NOT NULL DEFAULT 0,
  spend_nanos         bigint NOT NULL DEFAULT 0,
  requests            bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (day, tag, model_group)
);
CREATE TABLE spend_daily_end_users (
  day                 date NOT NULL,
  end_user            text NOT NULL,
  key_hash            text NOT NULL,
  prompt_tokens       bigint NOT NULL DEFAULT 0,
  completion_tokens   bigint NOT NULL DEFAULT 0,
  spend_nanos         bigint NOT NULL DEFAULT 0,
  requests            bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (day, end_user, key_hash)
);
INSERT INTO spend_daily_tags (day, tag, model_group, prompt_tokens, completion_tokens, spend_nanos, requests)
SELECT (s.start_time AT TIME ZONE 'UTC')::date, tag, s.model_group, sum(s.prompt_tokens), sum(s.completion_tokens), sum(s.cost_nanos), count(*)
FROM spend_logs s, unnest(s.tags) AS tag
GROUP BY 1, 2, 3;
INSERT INTO spend_daily_end_users (day, end_user, key_hash, prompt_tokens, completion_tokens, spend_nanos, requests)
SELECT (start_time AT TIME ZONE 'UTC')::date, end_user, key_hash, sum(prompt_tokens), sum(completion_tokens), sum(cost_nanos), count(*)
FROM spend_logs
GROUP BY 1, 2, 3;
`,
};
