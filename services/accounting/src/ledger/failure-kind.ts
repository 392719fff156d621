// Why a batch failed decides what happens to it. A transient failure (Postgres restarting, a dropped
// connection, a deadlock or serialization failure, a timeout) is nobody's fault: the whole batch is
// naked and comes back later, however long the outage lasts. A data failure (SQLSTATE class 22 "data
// exception" or 23 "integrity constraint violation") is caused by one of the rows, so the batch is
// split to find it and the rest goes in.
export type FailureKind = 'transient' | 'data';

export function failureKind(error: unknown): FailureKind {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code)) return 'data';
  return 'transient';
}
