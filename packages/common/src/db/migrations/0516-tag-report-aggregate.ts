import type { Migration } from '../migrate.js';

// /global/spend/report?group_by=tag is answered from spend_daily_tags instead of scanning a day's
// spend_logs rows (issue 21). The report has cached tokens, successes and failures per tag, and counts an
// untagged request under the tag '', so the aggregate gains those counters and keeps untagged requests
// under '' (the tag lists and /spend/tags leave '' out, as LiteLLM's tag reports do). Existing rows are
// completed from the log once, here; days whose log partitions retention already dropped keep 0 there.
export const tagReportAggregate: Migration = {
  version: 516,
  name: 'tag-report-aggregate',
  sql: `
ALTER TABLE spend_daily_tags
  ADD COLUMN cached_tokens bigint NOT NULL DEFAULT 0,
  ADD COLUMN successes     bigint NOT NULL DEFAULT 0,
  ADD COLUMN failures      bigint NOT NULL DEFAULT 0;
UPDATE spend_daily_tags t SET cached_tokens = s.cached_tokens, successes = s.successes, failures = s.failures
FROM (
  SELECT (start_time AT TIME ZONE 'UTC')::date AS day, tag, model_group, sum(cached_tokens) AS cached_tokens,
    count(*) FILTER (WHERE status = 'success') AS successes, count(*) FILTER (WHERE status <> 'success') AS failures
  FROM spend_logs, unnest(tags) AS tag
  GROUP BY 1, 2, 3
) s
WHERE t.day = s.day AND t.tag = s.tag AND t.model_group = s.model_group;
INSERT INTO spend_daily_tags (day, tag, model_group, prompt_tokens, completion_tokens, cached_tokens, spend_nanos, requests, successes, failures)
SELECT (start_time AT TIME ZONE 'UTC')::date, '', model_group, sum(prompt_tokens), sum(completion_tokens), sum(cached_tokens), sum(cost_nanos),
  count(*), count(*) FILTER (WHERE status = 'success'), count(*) FILTER (WHERE status <> 'success')
FROM spend_logs
WHERE cardinality(tags) = 0
GROUP BY 1, 3
ON CONFLICT (day, tag, model_group) DO UPDATE SET
  prompt_tokens = spend_daily_tags.prompt_tokens + excluded.prompt_tokens,
  completion_tokens = spend_daily_tags.completion_tokens + excluded.completion_tokens,
  cached_tokens = spend_daily_tags.cached_tokens + excluded.cached_tokens,
  spend_nanos = spend_daily_tags.spend_nanos + excluded.spend_nanos,
  requests = spend_daily_tags.requests + excluded.requests,
  successes = spend_daily_tags.successes + excluded.successes,
  failures = spend_daily_tags.failures + excluded.failures;
`,
};
