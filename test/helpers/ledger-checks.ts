import type { SqlClient } from '@sluice/common';

export async function ledgerTotals(sql: SqlClient): Promise<{ rows: number; distinct: number; cost: number }> {
  const result = await sql.query<{ rows: number; distinct: number; cost: number }>(
    'SELECT count(*)::bigint AS rows, count(DISTINCT request_id)::bigint AS distinct, coalesce(sum(cost_micros), 0)::bigint AS cost FROM spend_logs',
  );
  return result.rows[0]!;
}

/**
 * Every aggregate row (micro-USD and nano-USD) compared with the same sum computed straight from spend_logs; resolves to the
 * differences (none when the aggregates are exact).
 */
export async function aggregateMismatches(sql: SqlClient): Promise<string[]> {
  const checks: Array<[string, string]> = [
    [
      'spend_daily',
      `WITH expected AS (
         SELECT (start_time AT TIME ZONE 'UTC')::date AS day, key_hash, team_id, user_id, organization_id, model_group, model, provider,
           sum(cost_micros)::bigint AS spend, sum(cost_nanos)::bigint AS nanos, count(*)::bigint AS requests, count(*) FILTER (WHERE status = 'success')::bigint AS successes,
           count(*) FILTER (WHERE status = 'failure')::bigint AS failures, sum(prompt_tokens)::bigint AS prompt, sum(completion_tokens)::bigint AS completion
         FROM spend_logs GROUP BY 1, 2, 3, 4, 5, 6, 7, 8)
       SELECT coalesce(e.key_hash, d.key_hash) AS id FROM expected e
       FULL JOIN spend_daily d USING (day, key_hash, team_id, user_id, organization_id, model_group, model, provider)
       WHERE e.spend IS DISTINCT FROM d.spend_micros OR e.nanos IS DISTINCT FROM d.spend_nanos OR e.requests IS DISTINCT FROM d.requests OR e.successes IS DISTINCT FROM d.successes
         OR e.failures IS DISTINCT FROM d.failures OR e.prompt IS DISTINCT FROM d.prompt_tokens OR e.completion IS DISTINCT FROM d.completion_tokens`,
    ],
    ...(['key_hash:spend_by_key', 'team_id:spend_by_team', 'user_id:spend_by_user', 'organization_id:spend_by_organization'] as const).map(
      (pair): [string, string] => {
        const [column, table] = pair.split(':') as [string, string];
        return [
          table,
          `WITH expected AS (
             SELECT ${column} AS id, sum(cost_micros)::bigint AS spend, sum(cost_nanos)::bigint AS nanos, count(*)::bigint AS requests,
               count(*) FILTER (WHERE status = 'failure')::bigint AS failures, sum(prompt_tokens)::bigint AS prompt,
               sum(completion_tokens)::bigint AS completion
             FROM spend_logs WHERE ${column} <> '' GROUP BY 1)
           SELECT coalesce(e.id, t.${column}) AS id FROM expected e FULL JOIN ${table} t ON t.${column} = e.id
           WHERE e.spend IS DISTINCT FROM t.spend_micros OR e.nanos IS DISTINCT FROM t.spend_nanos OR e.requests IS DISTINCT FROM t.requests OR e.failures IS DISTINCT FROM t.failures
             OR e.prompt IS DISTINCT FROM t.prompt_tokens OR e.completion IS DISTINCT FROM t.completion_tokens`,
        ];
      },
    ),
  ];
  const mismatches: string[] = [];
  for (const [table, query] of checks) {
    const result = await sql.query<{ id: string }>(query);
    for (const row of result.rows) mismatches.push(`${table}: ${row.id}`);
  }
  return mismatches;
}
