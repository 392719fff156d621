import type { Sql } from '@sluice/common';

// A year of traffic made inside Postgres with generate_series (nothing crosses the wire): `rows` requests
// spread evenly over the `days` before `end`, 1,000 keys (each with its own user, one of 20 teams), 5
// model groups and a tag on every tenth request, and spend_daily and spend_daily_tags aggregated from them
// as accounting would have kept them. The indexes are dropped while the rows go in and made again afterwards (the same
// definitions), which is several times faster than maintaining them row by row.

export interface LedgerShape {
  rows: number;
  days: number;
  end: Date;
  keys: number;
}

/** A key's stored hash (64 hex digits, as policy stores them and the spend routes take them). */
const keyHash = (expression: string) => `encode(sha256(convert_to('bench-key-' || (${expression}), 'UTF8')), 'hex')`;

export async function generateLedger(sql: Sql, shape: LedgerShape, log: (line: string) => void): Promise<void> {
  const indexes = (
    await sql.query<{ name: string; definition: string; primary: boolean }>(
      `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition, i.indisprimary AS primary
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'spend_logs'::regclass`,
    )
  ).rows;
  for (const index of indexes) {
    await sql.query(index.primary ? `ALTER TABLE spend_logs DROP CONSTRAINT ${index.name}` : `DROP INDEX ${index.name}`);
  }

  const spanMs = shape.days * 86_400_000;
  const startMs = shape.end.getTime() - spanMs;
  // The months before the ones migration made ahead, as accounting would have made them over the year.
  await sql.query(
    `SELECT spend_logs_ensure_partition(month::date)
     FROM generate_series(date_trunc('month', $1::timestamptz AT TIME ZONE 'UTC'), $2::timestamptz AT TIME ZONE 'UTC', interval '1 month') AS month`,
    [new Date(startMs), shape.end],
  );
  const perChunk = 500_000;
  for (let first = 0; first < shape.rows; first += perChunk) {
    const last = Math.min(shape.rows, first + perChunk) - 1;
    await sql.query(
      `INSERT INTO spend_logs (request_id, key_hash, key_alias, team_id, user_id, organization_id, call_type, model_group, deployment_id,
         provider, model, api_base_host, prompt_tokens, completion_tokens, total_tokens, cost_micros, cost_nanos, start_time,
         first_token_time, end_time, status, http_status, attempts, tags)
       SELECT 'bench-' || n, ${keyHash(`n % ${shape.keys}`)}, 'alias-' || (n % ${shape.keys}), 'team-' || (n % ${shape.keys} % 20),
         'user-' || (n % ${shape.keys}), 'org-' || (n % ${shape.keys} % 3), 'chat_completion', 'model-' || (n % 5), 'dep-' || (n % 5),
         CASE WHEN n % 2 = 0 THEN 'openai' ELSE 'azure' END, 'model-' || (n % 5), 'api.example.com',
         100 + n % 400, 50 + n % 300, 150 + n % 400 + n % 300, (n % 997) + 1, ((n % 997) + 1) * 1000 + n % 1000, t, t + interval '200 ms',
         t + interval '900 ms', CASE WHEN n % 50 = 49 THEN 'failure' ELSE 'success' END, CASE WHEN n % 50 = 49 THEN 502 ELSE 200 END, 1,
         CASE WHEN n % 10 = 0 THEN ARRAY['batch-' || (n % 3)] ELSE '{}'::text[] END
       FROM generate_series($1::bigint, $2::bigint) AS n,
         LATERAL (SELECT to_timestamp(($3::bigint + n * $4::double precision) / 1000.0) AS t) AS at`,
      [first, last, startMs, spanMs / shape.rows],
    );
    log(`  ${last + 1} rows`);
  }
  log('  indexes');
  for (const index of indexes) {
    if (index.primary) await sql.query(`ALTER TABLE spend_logs ADD CONSTRAINT ${index.name} PRIMARY KEY (request_id, start_time)`);
    // pg_get_indexdef says "ON ONLY spend_logs" for a partitioned table's index, which would make it on the
    // parent alone; without ONLY it is made on every partition.
    else await sql.query(index.definition.replace(' ON ONLY ', ' ON '));
  }
  log('  spend_daily');
  await sql.query(
    `INSERT INTO spend_daily (day, key_hash, team_id, user_id, organization_id, model_group, model, provider, key_alias,
       prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, spend_micros, spend_nanos, requests, successes, failures)
     SELECT (start_time AT TIME ZONE 'UTC')::date, key_hash, team_id, user_id, organization_id, model_group, model, provider, max(key_alias),
       sum(prompt_tokens), sum(completion_tokens), sum(cached_tokens), sum(reasoning_tokens), sum(cost_micros), sum(cost_nanos), count(*),
       count(*) FILTER (WHERE status = 'success'), count(*) FILTER (WHERE status = 'failure')
     FROM spend_logs GROUP BY 1, 2, 3, 4, 5, 6, 7, 8`,
  );
  log('  spend_daily_tags');
  // As accounting keeps it: one row per day, tag and model group, untagged requests under the tag ''.
  await sql.query(
    `INSERT INTO spend_daily_tags (day, tag, model_group, prompt_tokens, completion_tokens, cached_tokens, spend_nanos, requests, successes, failures)
     SELECT (start_time AT TIME ZONE 'UTC')::date, tag, model_group, sum(prompt_tokens), sum(completion_tokens), sum(cached_tokens), sum(cost_nanos),
       count(*), count(*) FILTER (WHERE status = 'success'), count(*) FILTER (WHERE status <> 'success')
     FROM spend_logs, unnest(CASE WHEN cardinality(tags) = 0 THEN ARRAY[''] ELSE tags END) AS tag
     GROUP BY 1, 2, 3`,
  );
  await sql.query('ANALYZE');
}

/** The hash of bench key `index`, as the generated rows carry it. */
export async function benchKeyHash(sql: Sql, index: number): Promise<string> {
  return (await sql.query<{ hash: string }>(`SELECT ${keyHash('$1::int')} AS hash`, [index])).rows[0]!.hash;
}
