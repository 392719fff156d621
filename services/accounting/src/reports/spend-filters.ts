/** Optional filters shared by the spend routes (all exact matches). */
export interface SpendFilters {
  keyHash?: string | undefined;
  teamId?: string | undefined;
  userId?: string | undefined;
}

/** WHERE clauses for `filters`, numbering parameters after `params`, which it extends. */
export function filterClauses(filters: SpendFilters, params: unknown[]): string[] {
  const clauses: string[] = [];
  const add = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    params.push(value);
    clauses.push(`${column} = $${params.length}`);
  };
  add('key_hash', filters.keyHash);
  add('team_id', filters.teamId);
  add('user_id', filters.userId);
  return clauses;
}
