import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Sql, SqlClient, SqlResult } from '@sluice/common';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

type Queryable = Pick<PGlite, 'query' | 'exec'> | Pick<Transaction, 'query' | 'exec'>;

function wrap(target: Queryable): SqlClient {
  return {
    async query<Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
      if (!params || params.length === 0) {
        // Without parameters a text may hold several statements (migrations); exec runs them all.
        const results = await target.exec(text);
        const last = results.at(-1);
        return { rows: (last?.rows ?? []) as Row[], rowCount: last?.affectedRows ?? last?.rows.length ?? 0 };
      }
      const result = await target.query<Row>(text, params as unknown[]);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
  };
}

/** Postgres compiled to WebAssembly, in this process: the embedded stand-in when no server is configured. */
export async function createPgliteSql(dataDir?: string): Promise<Sql> {
  const db = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    parsers: { [INT8_OID]: Number, [NUMERIC_OID]: Number },
  });
  return {
    ...wrap(db),
    transaction: (work) => db.transaction((tx) => work(wrap(tx))),
    close: () => db.close(),
  };
}
