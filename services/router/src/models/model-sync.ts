import type { Logger, Redis } from '@sluice/common';

// Every router replica learns of a stored-model change within a second: the replica that wrote it
// publishes on Redis, and each replica (the writer too) re-reads the table. A resync every few seconds
// is the safety net for a message lost while a connection was down.

const RESYNC_INTERVAL_MS = 5_000;

export interface ModelSyncOptions {
  /** Publishes the announcements; undefined (embedded mode, no Redis): this process is the only router. */
  redis: Redis | undefined;
  subscriber: Redis | undefined;
  prefix: string;
  resync(): Promise<void>;
  logger: Logger;
}

export class ModelSync {
  private readonly channel: string;
  private readonly timer: NodeJS.Timeout;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly options: ModelSyncOptions) {
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
