import { hashTagged, type Logger, pipelinePerItem, type RedisClient } from '@sluice/common';
import { type CooldownStore, type FailureReport, MemoryCooldownStore } from './cooldown-store.js';

// One round trip per failure: count it in this minute's window and, past allowed_fails (or at once for
// a 429 with Retry-After), set the cooldown key with its TTL and tell the other replicas. Keys go
// through the client's prefix; the channel name is prefixed by hand, as ioredis does not prefix channels.
// Both keys of one deployment carry its hash tag, so on a Redis Cluster they share a slot (and different
// deployments spread over the nodes).
const RECORD_FAILURE = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], 120000) end
if ARGV[1] == '1' or count > tonumber(ARGV[2]) then
  local ms = tonumber(ARGV[3])
  local remaining = redis.call('PTTL', KEYS[2])
  if remaining < ms then redis.call('SET', KEYS[2], '1', 'PX', ms) else ms = remaining end
  redis.call('PUBLISH', ARGV[4], ARGV[5] .. ' ' .. ms)
  return ms
end
return 0
`;

const MINUTE = 60_000;
const RESYNC_INTERVAL_MS = 5_000;
const START_WAIT_MS = 2_000;

function whenReady(redis: RedisClient, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    redis.on('ready', done);
  });
}

export interface RedisCooldownOptions {
  redis: RedisClient;
  /** A second connection for the subscription (a subscribed connection can send nothing else). */
  subscriber: RedisClient;
  prefix: string;
  /** Every deployment id, to read the current cooldowns at start and after a reconnect. */
  deploymentIds: string[];
  logger: Logger;
  now?: () => number;
}

const deploymentKeys = (id: string) => `router:${hashTagged(id)}:`;
const failuresKey = (id: string, minute: number) => `${deploymentKeys(id)}fails:${minute}`;
const cooldownKey = (id: string) => `${deploymentKeys(id)}cooldown`;

/**
 * Cooldowns shared by every router replica through Redis. Each replica keeps a local mirror, fed by its
 * own failures, by the other replicas' announcements (pub/sub) and by a resync of the cooldown keys'
 * TTLs at start, after a reconnect and every few seconds (a missed message heals quickly). When Redis is
 * unreachable, cooldowns still work on this replica alone.
 */
export class RedisCooldownStore implements CooldownStore {
  private readonly local: MemoryCooldownStore;
  private readonly channel: string;
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;
  private warned = false;
  /** Changed by a config reload (track). */
  private deploymentIds: readonly string[];

  private constructor(private readonly options: RedisCooldownOptions) {
    this.now = options.now ?? Date.now;
    this.deploymentIds = options.deploymentIds;
    this.local = new MemoryCooldownStore(this.now);
    this.channel = `${options.prefix}router:cooldowns`;
    this.timer = setInterval(() => void this.resync(), RESYNC_INTERVAL_MS);
    this.timer.unref();
  }

  static async start(options: RedisCooldownOptions): Promise<RedisCooldownStore> {
    const store = new RedisCooldownStore(options);
    options.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== store.channel) return;
      const [id, ms] = message.split(' ');
      if (id && ms) store.local.coolFor(id, Number(ms));
    });
    // Connections made with connectRedis queue nothing while disconnected, so subscribing and reading
    // happen once each connection is ready (ioredis resubscribes by itself after a reconnect).
    const onSubscriberReady = () => {
      options.subscriber.subscribe(store.channel).catch((error: unknown) => options.logger.warn({ err: error }, 'cooldown subscription failed'));
      void store.resync();
    };
    options.subscriber.on('ready', onSubscriberReady);
    options.redis.on('ready', () => void store.resync());
    if (options.subscriber.status === 'ready') onSubscriberReady();
    // Give the connections a moment at start so the first failures are already shared; a Redis that is
    // down does not hold the router back (cooldowns stay local until it is back).
    await Promise.all([whenReady(options.redis, START_WAIT_MS), whenReady(options.subscriber, START_WAIT_MS)]);
    await store.resync();
    return store;
  }

  private async resync(): Promise<void> {
    const { redis } = this.options;
    const deploymentIds = this.deploymentIds;
    if (deploymentIds.length === 0 || redis.status !== 'ready') return;
    try {
      const results = await pipelinePerItem(redis, deploymentIds, (pipeline, id) => pipeline.pttl(cooldownKey(id)));
      results.forEach(([[error, ttl] = [null, null]], index) => {
        if (!error && typeof ttl === 'number' && ttl > 0) this.local.coolFor(deploymentIds[index]!, ttl);
      });
    } catch {
      // Next resync will try again; local cooldowns keep working meanwhile.
    }
  }

  /** The deployments of a reloaded config: their cooldowns are read from the next resync on. */
  track(deploymentIds: readonly string[]): void {
    this.deploymentIds = deploymentIds;
    void this.resync();
  }

  coolingDown(deploymentId: string): boolean {
    return this.local.coolingDown(deploymentId);
  }

  remainingMs(deploymentId: string): number {
    return this.local.remainingMs(deploymentId);
  }

  async recordFailure(report: FailureReport): Promise<boolean> {
    const minute = Math.floor(this.now() / MINUTE);
    try {
      const ms = (await this.options.redis.eval(
        RECORD_FAILURE,
        2,
        failuresKey(report.deploymentId, minute),
        cooldownKey(report.deploymentId),
        report.immediate ? '1' : '0',
        String(report.allowedFails),
        String(Math.max(1, Math.round(report.cooldownMs))),
        this.channel,
        report.deploymentId,
      )) as number;
      this.warned = false;
      if (ms > 0) this.local.coolFor(report.deploymentId, ms);
      return ms > 0;
    } catch (error) {
      if (!this.warned) this.options.logger.warn({ err: error }, 'redis unavailable: cooldowns apply to this router replica only');
      this.warned = true;
      return this.local.recordFailure(report);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.options.subscriber.disconnect();
    this.options.redis.disconnect();
  }
}
