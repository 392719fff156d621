import type { Migration } from '../migrate.js';

// Read-only views with LiteLLM's table and column names over Sluice's own tables, so finance queries
// written against a LiteLLM database run unchanged. Money in dollars as LiteLLM has it. Two rules keep
// queries that join a spend view with an entity view unambiguous: only "LiteLLM_SpendLogs" has a
// `created_at` (the request's start time; LiteLLM's own log has none, so guides that filter on
// `created_at` mean the request's time), and "LiteLLM_TeamTable" has no `spend` (the usual query sums
// the log's `spend` per team).
//
// `spend` is the ledger's exact nano-USD (spend_logs.cost_nanos, spend_daily.spend_nanos) in dollars.
//
// sluice_finance is a NOLOGIN role with SELECT on these views and nothing else; grant it to a login role
// (GRANT sluice_finance TO alice). Roles belong to the whole server: it is created only if missing, and
// a database user without CREATEROLE skips it (with a notice) rather than failing the migration.

export const FINANCE_VIEWS = [
  'LiteLLM_SpendLogs',
  'LiteLLM_TeamTable',
  'LiteLLM_VerificationToken',
  'LiteLLM_UserTable',
  'LiteLLM_OrganizationTable',
  'LiteLLM_DailyUserSpend',
  'LiteLLM_DailyTeamSpend',
  'LiteLLM_DailyTagSpend',
];

const usd = (nanos: string) => `(${nanos})::double precision / 1000000000`;
/** Limits are kept in micro-USD. */
const usdFromMicros = (micros: string) => `(${micros})::double precision / 1000000`;

// Spend of the current budget period, as LiteLLM's `spend` columns hold it (they reset with the budget).
const periodSpend = (where: string, table: string) => `${usd(`COALESCE((SELECT sum(l.cost_nanos) FROM spend_logs l WHERE ${where} AND l.start_time >= ${table}.budget_period_start), 0)
    + CASE WHEN ${table}.carried_period_start = ${table}.budget_period_start THEN ${table}.carried_spend_micros * 1000 ELSE 0 END`)}`;

const dailyColumns = `
  d.key_hash AS api_key,
  NULLIF(d.model, '') AS model,
  NULLIF(d.model_group, '') AS model_group,
  NULLIF(d.provider, '') AS custom_llm_provider,
  sum(d.prompt_tokens)::bigint AS prompt_tokens,
  sum(d.completion_tokens)::bigint AS completion_tokens,
  sum(d.cached_tokens)::bigint AS cache_read_input_tokens,
  0::bigint AS cache_creation_input_tokens,
  ${usd('sum(d.spend_nanos)')} AS spend,
  sum(d.requests)::bigint AS api_requests,
  sum(d.successes)::bigint AS successful_requests,
  sum(d.failures)::bigint AS failed_requests`;

/**
 * "LiteLLM_DailyUserSpend" / "LiteLLM_DailyTeamSpend"'s query, per `owner` column (user_id or team_id).
 * `date` is the expression of the date column: to_char here, sluice_iso_day() since 515 (which an index can hold).
 */
export const dailySpendView = (owner: 'user_id' | 'team_id', date: string) => `
SELECT
  md5(concat_ws('|', d.day, d.${owner}, d.key_hash, d.model_group, d.model, d.provider)) AS id,
  NULLIF(d.${owner}, '') AS ${owner},
  ${date} AS date,
  ${dailyColumns}
FROM spend_daily d
GROUP BY d.day, d.${owner}, d.key_hash, d.model_group, d.model, d.provider`;

/**
 * "LiteLLM_VerificationToken"'s query. `permissions` is the column's expression: constant in this
 * migration, the key's own since 497 (which replaces the view with the same columns).
 */
export const verificationTokenView = (permissions: string) => `
SELECT
  k.token,
  k.key_name,
  k.key_alias,
  ${periodSpend('l.key_hash = ANY (k.token || k.retired_tokens)', 'k')} AS spend,
  k.expires,
  k.models,
  k.aliases,
  '{}'::jsonb AS config,
  k.user_id,
  k.team_id,
  ${permissions} AS permissions,
  k.max_parallel_requests,
  k.metadata,
  k.blocked,
  k.tpm_limit,
  k.rpm_limit,
  ${usdFromMicros('k.max_budget_micros')} AS max_budget,
  k.budget_duration,
  k.budget_reset_at,
  k.allowed_cache_controls,
  k.model_max_budget,
  k.organization_id,
  k.created_by,
  k.updated_by
FROM api_keys k;`;

// Numbered after every column change of the release it came in: Postgres cannot change the type of a column
// a view reads, so a later migration that changes one of these columns drops the views and creates them anew.
//
// The SQL is exported on its own: a migration that rebuilds spend_logs (0510) drops the views and runs it again.
export const LITELLM_VIEWS_SQL = `
CREATE VIEW "LiteLLM_SpendLogs" AS
SELECT
  s.request_id,
  s.call_type,
  s.key_hash AS api_key,
  ${usd('s.cost_nanos')} AS spend,
  s.total_tokens,
  s.prompt_tokens,
  s.completion_tokens,
  s.start_time AS "startTime",
  s.end_time AS "endTime",
  (extract(epoch FROM s.end_time - s.start_time) * 1000)::integer AS request_duration_ms,
  s.first_token_time AS "completionStartTime",
  s.model,
  s.deployment_id AS model_id,
  s.model_group,
  s.provider AS custom_llm_provider,
  s.api_base_host AS api_base,
  s.user_id AS "user",
  s.metadata || jsonb_build_object(
    'user_api_key_alias', s.key_alias,
    'user_api_key_team_id', NULLIF(s.team_id, ''),
    'user_api_key_user_id', NULLIF(s.user_id, ''),
    'user_api_key_org_id', NULLIF(s.organization_id, '')
  ) AS metadata,
  CASE WHEN s.cache_hit THEN 'True' ELSE 'False' END AS cache_hit,
  s.cache_key,
  to_jsonb(s.tags) AS request_tags,
  NULLIF(s.team_id, '') AS team_id,
  NULLIF(s.organization_id, '') AS organization_id,
  NULLIF(s.end_user, '') AS end_user,
  NULLIF(s.session_id, '') AS session_id,
  s.status,
  s.start_time AS created_at
FROM spend_logs s;

CREATE VIEW "LiteLLM_TeamTable" AS
SELECT
  t.team_id,
  t.team_alias,
  t.organization_id,
  ARRAY(SELECT m.user_id FROM team_members m WHERE m.team_id = t.team_id AND m.role = 'admin' ORDER BY m.user_id) AS admins,
  ARRAY(SELECT m.user_id FROM team_members m WHERE m.team_id = t.team_id ORDER BY m.user_id) AS members,
  COALESCE((SELECT jsonb_agg(jsonb_build_object('user_id', m.user_id, 'role', m.role) ORDER BY m.user_id)
            FROM team_members m WHERE m.team_id = t.team_id), '[]'::jsonb) AS members_with_roles,
  t.metadata,
  ${usdFromMicros('t.max_budget_micros')} AS max_budget,
  ${usdFromMicros('t.soft_budget_micros')} AS soft_budget,
  t.models,
  t.max_parallel_requests,
  t.tpm_limit,
  t.rpm_limit,
  t.budget_duration,
  t.budget_reset_at,
  t.blocked,
  t.model_max_budget
FROM teams t;

CREATE VIEW "LiteLLM_VerificationToken" AS${verificationTokenView("'{}'::jsonb")}

CREATE VIEW "LiteLLM_UserTable" AS
SELECT
  u.user_id,
  u.user_alias,
  u.organization_id,
  ARRAY(SELECT m.team_id FROM team_members m WHERE m.user_id = u.user_id ORDER BY m.team_id) AS teams,
  u.user_role,
  ${usdFromMicros('u.max_budget_micros')} AS max_budget,
  ${periodSpend('l.user_id = u.user_id', 'u')} AS spend,
  u.user_email,
  u.models,
  u.metadata,
  u.max_parallel_requests,
  u.tpm_limit,
  u.rpm_limit,
  u.budget_duration,
  u.budget_reset_at,
  u.model_max_budget
FROM users u;

CREATE VIEW "LiteLLM_OrganizationTable" AS
SELECT
  o.organization_id,
  o.organization_alias,
  o.metadata,
  o.models,
  ${periodSpend('l.organization_id = o.organization_id', 'o')} AS spend,
  ${usdFromMicros('o.max_budget_micros')} AS max_budget,
  o.budget_duration,
  o.budget_reset_at,
  o.created_by,
  o.updated_by
FROM organizations o;

CREATE VIEW "LiteLLM_DailyUserSpend" AS${dailySpendView('user_id', "to_char(d.day, 'YYYY-MM-DD')")};

CREATE VIEW "LiteLLM_DailyTeamSpend" AS${dailySpendView('team_id', "to_char(d.day, 'YYYY-MM-DD')")};

-- Tags are only on the log, so this one reads it: one row per tag of each request.
CREATE VIEW "LiteLLM_DailyTagSpend" AS
SELECT
  md5(concat_ws('|', d.day, d.tag, d.key_hash, d.model_group, d.model, d.provider)) AS id,
  d.tag,
  to_char(d.day, 'YYYY-MM-DD') AS date,
  d.key_hash AS api_key,
  NULLIF(d.model, '') AS model,
  NULLIF(d.model_group, '') AS model_group,
  NULLIF(d.provider, '') AS custom_llm_provider,
  sum(d.prompt_tokens)::bigint AS prompt_tokens,
  sum(d.completion_tokens)::bigint AS completion_tokens,
  sum(d.cached_tokens)::bigint AS cache_read_input_tokens,
  0::bigint AS cache_creation_input_tokens,
  ${usd('sum(d.cost_nanos)')} AS spend,
  count(*)::bigint AS api_requests,
  count(*) FILTER (WHERE d.status = 'success')::bigint AS successful_requests,
  count(*) FILTER (WHERE d.status = 'failure')::bigint AS failed_requests
FROM (SELECT (s.start_time AT TIME ZONE 'UTC')::date AS day, tag, s.* FROM spend_logs s, unnest(s.tags) AS tag) d
GROUP BY d.day, d.tag, d.key_hash, d.model_group, d.model, d.provider;

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sluice_finance') THEN
    BEGIN
      CREATE ROLE sluice_finance NOLOGIN;
    EXCEPTION
      WHEN duplicate_object OR unique_violation THEN NULL; -- created meanwhile by another database's migration
      WHEN insufficient_privilege THEN RAISE NOTICE 'no CREATEROLE: the sluice_finance role was not created';
    END;
  END IF;
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'sluice_finance') THEN
    EXECUTE 'GRANT USAGE ON SCHEMA ' || quote_ident(current_schema()) || ' TO sluice_finance';
    EXECUTE 'GRANT SELECT ON ${FINANCE_VIEWS.map((name) => `"${name}"`).join(', ')} TO sluice_finance';
  END IF;
END
$$;
`;

export const litellmViews: Migration = { version: 480, name: 'litellm-views', sql: LITELLM_VIEWS_SQL };
