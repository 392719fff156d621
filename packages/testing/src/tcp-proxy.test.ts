import { Redis } from 'ioredis';
import { expect, test } from 'vitest';
import { TEST_REDIS_URL } from './test-backends.js';
import { startTcpProxy } from './tcp-proxy.js';

test('the proxy passes traffic, cuts it on stop, and passes it again on start', async () => {
  const target = new URL(TEST_REDIS_URL);
  const proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
  const redis = new Redis(proxy.url(TEST_REDIS_URL), { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 50 });
  redis.on('error', () => undefined);
  try {
    await new Promise((resolve) => redis.once('ready', resolve));
    expect(await redis.ping()).toBe('PONG');
    await proxy.stop();
    await expect(redis.ping()).rejects.toThrow();
    await proxy.start();
    await new Promise((resolve) => redis.once('ready', resolve));
    expect(await redis.ping()).toBe('PONG');
  } finally {
    redis.disconnect();
    await proxy.close();
  }
});
