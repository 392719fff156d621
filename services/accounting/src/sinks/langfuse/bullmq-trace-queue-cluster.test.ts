// BullMQ's scripts touch several keys of a queue at once; on a real three-node Redis Cluster they work
// only because the queue's prefix carries a hash tag. A failed export is retried, as on one server.
import { createLogger, loadSettings } from '@sluice/common';
import { startRedisCluster, type TestRedisCluster } from '@sluice/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createBullmqTraceQueue } from './bullmq-trace-queue.js';
import type { TraceQueue } from './trace-queue.js';

let cluster: TestRedisCluster;
let queue: TraceQueue | undefined;

beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60_000);

afterAll(async () => {
  await queue?.close();
  await cluster?.stop();
});

test('the Langfuse export queue runs on a Redis Cluster and retries a failed export', async () => {
  const settings = loadSettings({ ...cluster.env, SLUICE_REDIS_PREFIX: 'sluice-bull-test:', SLUICE_LANGFUSE_RETRY_BASE_MS: '50' });
  const exported: string[][] = [];
  let failures = 0;
  queue = createBullmqTraceQueue({
    settings,
    langfuse: settings.langfuse,
    logger: createLogger({ service: 'test', level: 'silent' }),
    exportTraces: async (requestIds) => {
      if (requestIds.includes('flaky') && failures++ === 0) throw new Error('langfuse is away');
      exported.push([...requestIds]);
      return requestIds.length;
    },
  });
  await queue.add(['a', 'b']);
  await queue.add(['flaky']);
  const deadline = Date.now() + 20_000;
  while (exported.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(exported.sort()).toEqual([['a', 'b'], ['flaky']]);
  expect(failures).toBe(2);
  // Every key of the queue is in one slot, on one node.
  const slots = new Set<number>();
  for (let index = 0; index < cluster.nodes.length; index += 1) {
    const [, keys] = await cluster.node(index).scan('0', 'MATCH', 'sluice-bull-test:*', 'COUNT', 1000);
    for (const key of keys) slots.add(Number(await cluster.node(index).call('CLUSTER', 'KEYSLOT', key)));
  }
  expect(slots.size).toBe(1);
});
