import type { Logger } from '../logger.js';
import type { Settings } from '../settings.js';
import { connectJetStreamUsageBus } from './jetstream-usage-bus.js';
import { createPgSql } from './pg-sql.js';
import type { Sql } from './sql.js';
import type { UsageBus } from './usage-bus.js';

// A service started on its own connects to the real servers named by its settings; the launcher's
// embedded mode passes in-process stand-ins instead.

export interface Backends {
  sql?: Sql;
  bus?: UsageBus;
  /** In-process stand-ins for whatever is not given here (no Redis: counters and cooldowns in memory). */
  embedded?: boolean;
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

export function connectSql(settings: Settings, logger: Logger, maxConnections = 10): Sql {
  return createPgSql({
    url: required(settings.databaseUrl, 'DATABASE_URL'),
    maxConnections,
    onError: (error) => logger.warn({ err: error }, 'postgres connection error'),
  });
}

export function connectUsageBus(settings: Settings, logger: Logger, name: string): Promise<UsageBus> {
  return connectJetStreamUsageBus({ url: required(settings.natsUrl, 'NATS_URL'), name, usage: settings.usage, logger });
}
