import pg from 'pg';
import type { Logger } from '@sluice/common';
import { answers } from './probe.js';

export interface ServerUrls {
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  natsUrl: string | undefined;
}

export interface FoundServers extends ServerUrls {
  /** The local Postgres had no `sluice` database and one was created. */
  createdDatabase: boolean;
}

const LOCAL = '127.0.0.1';

/**
 * Postgres on the default local port, with a `sluice` database (created on first use). Undefined when
 * nothing answers or the default `postgres` user cannot log in.
 */
async function localPostgres(logger: Logger): Promise<{ url: string; created: boolean } | undefined> {
  if (!(await answers(LOCAL, 5432))) return undefined;
  const admin = new pg.Client({ host: LOCAL, port: 5432, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 2_000 });
  try {
    await admin.connect();
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', ['sluice']);
    const created = found.rowCount === 0;
    if (created) await admin.query('CREATE DATABASE sluice');
    return { url: `postgres://postgres@${LOCAL}:5432/sluice`, created };
  } catch (error) {
    logger.warn({ err: error }, 'a Postgres answers on 5432 but cannot be used without DATABASE_URL');
    return undefined;
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/** The configured URLs, filled in with local servers on their default ports where those answer. */
export async function findServers(configured: ServerUrls, logger: Logger): Promise<FoundServers> {
  const postgres = configured.databaseUrl ? undefined : await localPostgres(logger);
  return {
    createdDatabase: postgres?.created ?? false,
    databaseUrl: configured.databaseUrl ?? postgres?.url,
    redisUrl: configured.redisUrl ?? ((await answers(LOCAL, 6379)) ? `redis://${LOCAL}:6379` : undefined),
    natsUrl: configured.natsUrl ?? ((await answers(LOCAL, 4222)) ? `nats://${LOCAL}:4222` : undefined),
  };
}
