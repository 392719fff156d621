import type { Migration } from '../migrate.js';
import { dailySpendView } from './0480-litellm-views.js';

// Plans that stay small as the aggregates grow (issue 21: the reports over a year of ledger).
//
// - The planner guessed the number of groups of spend_daily from each column's own distinct count, as if
//   day, team, key and model were independent; they are not (a key belongs to one team and mostly one
//   model), so it guessed ~35 times too many groups, sorted every row of the range instead of hashing the
//   few groups, and the sort spilled to disk. Multi-column distinct counts give it the real numbers.
// - "LiteLLM_DailyTeamSpend" / "LiteLLM_DailyUserSpend" are filtered by their own columns
//   (team_id = $1 AND date >= $2), which are expressions over spend_daily's; no index matched them, so
//   every query read the whole table. The date is now made by sluice_iso_day(), which an index can hold
//   (to_char is only STABLE: some of its patterns read the locale; 'YYYY-MM-DD' reads nothing), and an
//   index on exactly the views' expressions turns the filter into a range scan. Same columns, so the
//   views are replaced in place and keep their grants.
/** Also to be run by any later migration that rebuilds the LiteLLM views from 0480's definitions. */
export const FAST_DAILY_VIEWS_SQL = `
CREATE OR REPLACE VIEW "LiteLLM_DailyUserSpend" AS${dailySpendView('user_id', 'sluice_iso_day(d.day)')};
CREATE OR REPLACE VIEW "LiteLLM_DailyTeamSpend" AS${dailySpendView('team_id', 'sluice_iso_day(d.day)')};
`;

export const fastDailyReports: Migration = {
  version: 515,
  name: 'fast-daily-reports',
  sql: `
CREATE STATISTICS spend_daily_group_counts (ndistinct) ON day, key_hash, team_id, user_id, model_group, provider FROM spend_daily;

CREATE FUNCTION sluice_iso_day(day date) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT to_char(day, 'YYYY-MM-DD') $$;
${FAST_DAILY_VIEWS_SQL}
CREATE INDEX spend_daily_litellm_team_date ON spend_daily ((NULLIF(team_id, '')), sluice_iso_day(day));
CREATE INDEX spend_daily_litellm_user_date ON spend_daily ((NULLIF(user_id, '')), sluice_iso_day(day));
ANALYZE spend_daily;
`,
};
