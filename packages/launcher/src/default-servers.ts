import pg from 'pg';
import type { Logger } from '@sluice/common';
import { answers } from './probe.js';

export interface ServerUrls {
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  natsUrl: string | undefined;
}

const LOCAL = '127.0.0.1';

/**
 * Postgres on the default local port, with a `sluice` database (created on first use). Undefined when
 * nothing answers or the default `postgres` user cannot log in.
 */
async function localPostgres(logger: Logger): Promise<string | undefined> {
  if (!(await answers(LOCAL, 5432))) return undefined;
  const admin = new pg.Client({ host: LOCAL, port: 5432, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 2_000 });
  try {
    await admin.connect();
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', ['sluice']);
    if (found.rowCount === 0) {
      await admin.query('CREATE DATABASE sluice');
      logger.info('created database "sluice" on the local Postgres');
    }
    return `postgres://postgres@${LOCAL}:5432/sluice`;
  } catch (error) {
    logger.warn({ err: error }, 'a Postgres answers on 5432 but cannot be used without DATABASE_URL');
    return undefined;
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/** The configured URLs, filled in with local servers on their default ports where those answer. */
export async function findServers(configured: ServerUrls, logger: Logger): Promise<ServerUrls> {
  return {
    databaseUrl: configured.databaseUrl ?? (await localPostgres(logger)),
    redisUrl: configured.redisUrl ?? ((await answers(LOCAL, 6379)) ? `redis://${LOCAL}:6379` : undefined),
    natsUrl: configured.natsUrl ?? ((await answers(LOCAL, 4222)) ? `nats://${LOCAL}:4222` : undefined),
  };
}
