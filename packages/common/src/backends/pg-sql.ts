import { createRequire } from 'node:module';
import type PgModule from 'pg';
import type { Sql, SqlClient, SqlResult } from './sql.js';

// Loaded on first use: services that never open a database (the edge, the router) never pay for it.
const require = createRequire(import.meta.url);
const loadPg = () => require('pg') as typeof PgModule;

const INT8_OID = 20;
const NUMERIC_OID = 1700;

// Counts and micro-USD sums fit in a double (2^53 micro-USD is $9 billion), so bigint columns come back
// as numbers instead of strings.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return loadPg().types.getTypeParser(oid, format);
  },
};

export interface PgSqlOptions {
  url: string;
  maxConnections?: number;
  /** Fail a query that waits longer than this for a connection or an answer. */
  statementTimeoutMs?: number;
  connectionTimeoutMs?: number;
  onError?: (error: Error) => void;
}

export function createPgSql(options: PgSqlOptions): Sql {
  const pg = loadPg();
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    types,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
  });
  // An idle client that loses its connection emits here; without a listener it would crash the process.
  pool.on('error', (error) => options.onError?.(error));

  const wrap = (client: PgModule.Pool | PgModule.PoolClient): SqlClient => ({
    async query<Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
      const result = await client.query(text, params as unknown[] | undefined);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    },
  });

  return {
    ...wrap(pool),
    async transaction(work) {
      const client = await pool.connect();
      // A connection whose ROLLBACK fails is broken; destroy it instead of returning it to the pool.
      let broken: Error | undefined;
      // A checked-out client that loses its connection between two queries emits 'error', which the pool
      // only listens for on idle clients: without this the process would crash on a database restart.
      const onLost = (error: Error) => {
        broken = error;
        options.onError?.(error);
      };
      client.on('error', onLost);
      try {
        await client.query('BEGIN');
        const result = await work(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        throw error;
      } finally {
        client.off('error', onLost);
        client.release(broken);
      }
    },
    async close() {
      await pool.end();
    },
  };
}
