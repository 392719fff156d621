import type { RedisClient } from '../backends/redis.js';
import type { Logger } from '../logger.js';
import type { GatewayConfig, ModelEntry } from './config-schema.js';

// Every router (and policy) replica learns of a stored-model change within a second: the router that
// wrote it publishes on Redis, and each replica (the writer too) re-reads the table. A resync every few
// seconds is the safety net for a message lost while a connection was down.

const RESYNC_INTERVAL_MS = 5_000;

export interface StoredModelSyncOptions {
  /** Publishes the announcements; undefined (embedded mode, no Redis): this process is the only router. */
  redis: RedisClient | undefined;
  subscriber: RedisClient | undefined;
  prefix: string;
  resync(): Promise<void>;
  logger: Logger;
}

export class StoredModelSync {
  private readonly channel: string;
  private readonly timer: NodeJS.Timeout;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly options: StoredModelSyncOptions) {
    this.channel = `${options.prefix}router:models`;
    this.timer = setInterval(() => void this.resync(), RESYNC_INTERVAL_MS);
    this.timer.unref();
    const { subscriber, logger } = options;
    if (subscriber) {
      subscriber.on('message', (channel: string) => {
        if (channel === this.channel) void this.resync();
      });
      const subscribe = () => {
        subscriber.subscribe(this.channel).catch((error: unknown) => logger.warn({ err: error }, 'stored-model subscription failed'));
        void this.resync();
      };
      subscriber.on('ready', subscribe);
      if (subscriber.status === 'ready') subscribe();
    }
  }

  /** Re-reads now; calls that arrive while one runs make one more run after it. */
  resync(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.options.resync();
        } catch (error) {
          this.options.logger.warn({ err: error }, 'cannot read the stored models; the running list stays');
        }
      } while (this.again);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** After a write on this replica: swap it in here, then tell the others. */
  async changed(): Promise<void> {
    await this.resync();
    await this.options.redis?.publish(this.channel, 'changed').catch((error: unknown) => this.options.logger.warn({ err: error }, 'cannot announce a stored-model change; other replicas resync within seconds'));
  }

  close(): void {
    clearInterval(this.timer);
    this.options.subscriber?.disconnect();
    this.options.redis?.disconnect();
  }
}

/**
 * The model list a service serves with general_settings.store_model_in_db: the config file's models,
 * then the stored ones. A stored model whose id a config model already has is left out (the file is the
 * operator's word); one with the same model_name joins that group as another deployment, as in LiteLLM.
 */
export function withStoredModels(config: GatewayConfig, stored: readonly ModelEntry[]): GatewayConfig {
  if (stored.length === 0) return config;
  const ids = new Set(config.model_list.flatMap((entry) => (entry.model_info?.id === undefined ? [] : [entry.model_info.id])));
  return { ...config, model_list: [...config.model_list, ...stored.filter((entry) => entry.model_info?.id === undefined || !ids.has(entry.model_info.id))] };
}
