import type { Logger } from '../logger.js';
import type { Sql } from '../backends/sql.js';
import { MIGRATIONS } from './migrations/index.js';

export interface Migration {
  /** Ordered; never reuse or reorder a version once it has shipped. */
  version: number;
  name: string;
  sql: string;
}

// Any service may start first, and several replicas may start at once: the advisory lock makes the
// first one apply what is missing while the others wait, then find nothing left to do.
const LOCK_KEY = 727_130_415;

export async function migrate(sql: Sql, logger: Logger, migrations: readonly Migration[] = MIGRATIONS): Promise<number> {
  return sql.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const applied = new Set(
      (await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((row) => row.version),
    );
    let count = 0;
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      await tx.query(migration.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      logger.info({ version: migration.version, name: migration.name }, 'applied migration');
      count += 1;
    }
    return count;
  });
}
