import { type Backends, ConfigError, connectRedis, connectSql, type GatewayConfig, type Logger, migrate, type RedisClient, redisConfigured, type Settings, type Sql, subscriberConnection } from '@sluice/common';
import { ModelSecrets } from './model-secrets.js';
import { StoredModels } from './stored-models.js';

export interface StoredModelsStart {
  stored: StoredModels;
  /** Announcements to and from the other replicas (none in embedded mode). */
  redis: RedisClient | undefined;
  subscriber: RedisClient | undefined;
  close(): Promise<void>;
}

/**
 * general_settings.store_model_in_db: the stored models, on the database the router has (DATABASE_URL,
 * or the embedded launcher's). undefined when the setting is off. Without a database or a key to seal
 * provider keys with, start-up stops with the reason.
 */
export async function startStoredModels(options: { settings: Settings; config: GatewayConfig; logger: Logger; backends?: Backends }): Promise<StoredModelsStart | undefined> {
  const { settings, config, logger, backends } = options;
  if (config.general_settings?.store_model_in_db !== true) return undefined;
  const secret = settings.modelEncryptionKey ?? config.general_settings.master_key;
  if (!secret) throw new ConfigError('general_settings.store_model_in_db needs LITELLM_SALT_KEY (or general_settings.master_key) to encrypt provider keys with');
  if (!settings.modelEncryptionKey) logger.warn('LITELLM_SALT_KEY is not set: stored models are encrypted with the master key, so changing it makes them unreadable');
  const owned = backends?.sql === undefined;
  const sql: Sql | undefined = backends?.sql ?? (settings.databaseUrl ? connectSql(settings, logger, 2) : undefined);
  if (!sql) throw new ConfigError('general_settings.store_model_in_db needs a database (DATABASE_URL)');
  await migrate(sql, logger);
  const shared = !backends?.embedded && redisConfigured(settings);
  const redis = shared ? connectRedis(settings, logger, { name: 'sluice-router-models' }) : undefined;
  const subscriber = redis ? subscriberConnection(redis, 'sluice-router-models-sub') : undefined;
  return {
    stored: new StoredModels(sql, new ModelSecrets(secret), logger),
    redis,
    subscriber,
    close: async () => {
      if (owned) await sql.close();
    },
  };
}

