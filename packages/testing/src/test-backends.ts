import { randomBytes } from 'node:crypto';
import { connect as connectNats } from 'nats';
import pg from 'pg';
import { Redis } from 'ioredis';
import { createPgSql, type Sql } from '@sluice/common';

// Every test run gets its own Postgres database, Redis key prefix and JetStream stream on the real local
// servers, so runs never see each other's data and can go in parallel.

export const TEST_POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TEST_NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

export interface TestBackends {
  runId: string;
  databaseUrl: string;
  /** Environment for a service process of this run. */
  env: Record<string, string>;
  /** A pool on this run's database (closed by cleanup). */
  sql: Sql;
  redis(): Redis;
  cleanup(): Promise<void>;
}

function databaseUrl(database: string): string {
  const url = new URL(TEST_POSTGRES_ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function createTestBackends(label = 'run'): Promise<TestBackends> {
  const runId = `${label.replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 20)}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const database = `sluice_test_${runId}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();

  const url = databaseUrl(database);
  const sql = createPgSql({ url, maxConnections: 4 });
  const redisPrefix = `sluice-test:${runId}:`;
  const stream = `SLUICE_TEST_${runId.toUpperCase()}`;
  const subject = `sluice.test.${runId}.usage`;
  const redisClients: Redis[] = [];

  return {
    runId,
    databaseUrl: url,
    env: {
      DATABASE_URL: url,
      REDIS_URL: TEST_REDIS_URL,
      NATS_URL: TEST_NATS_URL,
      SLUICE_REDIS_PREFIX: redisPrefix,
      SLUICE_USAGE_STREAM: stream,
      SLUICE_USAGE_SUBJECT: subject,
      SLUICE_USAGE_STORAGE: 'file',
      // Every run's services share a secret of their own, as a deployment's do.
      SLUICE_INTERNAL_TOKEN: `test-${randomBytes(24).toString('hex')}`,
      LOG_LEVEL: 'info',
    },
    sql,
    redis() {
      const client = new Redis(TEST_REDIS_URL, { keyPrefix: redisPrefix, lazyConnect: false, maxRetriesPerRequest: 1 });
      redisClients.push(client);
      return client;
    },
    async cleanup() {
      await sql.close().catch(() => undefined);
      for (const client of redisClients) client.disconnect();
      const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) await redis.del(...keys);
        } while (cursor !== '0');
      } catch {
        // Redis may be down on purpose in a test; leftover keys only cost memory.
      } finally {
        redis.disconnect();
      }
      try {
        const nc = await connectNats({ servers: TEST_NATS_URL, timeout: 2_000 });
        const jsm = await nc.jetstreamManager();
        await jsm.streams.delete(stream).catch(() => undefined);
        await nc.close();
      } catch {
        // NATS may be down on purpose in a test.
      }
      const cleanupClient = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL });
      try {
        await cleanupClient.connect();
        await cleanupClient.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      } catch {
        // Postgres may be down on purpose in a test.
      } finally {
        await cleanupClient.end().catch(() => undefined);
      }
    },
  };
}
