// The whole gateway on a real three-node Redis Cluster (REDIS_CLUSTER_NODES, LiteLLM's variable), with
// two policy replicas behind their own edges: a chat completion, a budget used up exactly, and a key
// blocked on one replica while the limit state's slot is being moved to another node, refused on the
// other replica (invalidation by pub/sub and by the announced version, through ASK, TRYAGAIN and MOVED);
// and leases (issue 20): granted, settled and recalled with all their state in the limit slot.
import { limitStateNamespace } from '@sluice/common';
import { startRedisCluster, type TestRedisCluster } from '@sluice/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type PolicyStack, PRICE, RECORDED_USAGE, startPolicyStack } from './helpers/policy-stack.js';
import { waitFor } from './helpers/wait-for.js';

/** What one non-streaming call of the recording costs at gpt-test's price (micro-USD). */
const CALL_COST = RECORDED_USAGE.prompt * PRICE.input + RECORDED_USAGE.completion * PRICE.output;
/** A worst case below one call's real cost, so the second call fits a budget of two calls. */
const MAX_TOKENS = 300;

let cluster: TestRedisCluster;
let stack: PolicyStack;
let edgeB: string;

beforeAll(async () => {
  cluster = await startRedisCluster();
  stack = await startPolicyStack('rediscluster', { env: { REDIS_URL: '', ...cluster.env, SLUICE_POLICY_DEADLINE_MS: '5000' } });
  edgeB = await stack.addReplica();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await cluster?.stop();
});

const post = async (path: string, body: unknown, edge?: string) => {
  const reply = await stack.admin('POST', path, body, undefined, edge);
  expect(reply.status).toBe(200);
  return reply.body;
};
const call = (key: string, edge?: string) => stack.chat(key, { max_tokens: MAX_TOKENS }, edge);

async function ledger(token: string): Promise<{ spent: number; rows: number }> {
  const result = await stack.backends.sql.query<{ spent: string; rows: number }>(
    'SELECT COALESCE(sum(cost_micros), 0)::bigint AS spent, count(*)::int AS rows FROM spend_logs WHERE key_hash = $1',
    [token],
  );
  return { spent: Number(result.rows[0]!.spent), rows: result.rows[0]!.rows };
}

/** Holds live in the cluster now, so the stack's own helper (which scans the single server) cannot see them. */
async function clusterHolds(): Promise<number> {
  const prefix = stack.backends.env.SLUICE_REDIS_PREFIX!;
  const pattern = `${prefix}${limitStateNamespace(prefix)}h:*`;
  let count = 0;
  for (let index = 0; index < cluster.nodes.length; index += 1) {
    let cursor = '0';
    do {
      const [next, keys] = await cluster.node(index).scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      count += keys.length;
    } while (cursor !== '0');
  }
  return count;
}

async function settled(token: string, calls: number): Promise<void> {
  await waitFor(async () => (await ledger(token)).rows === calls && (await clusterHolds()) === 0, { timeoutMs: 30_000, message: 'usage did not settle' });
}

/** sluice_lease_admissions_total of edge A and edge B. */
async function leaseAdmissions(): Promise<number[]> {
  const ports = [stack.stack.services.edge.ports.http!, stack.extra[1]!.ports.http!];
  return Promise.all(
    ports.map(async (port) => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const line = text.split('\n').find((candidate) => candidate.startsWith('sluice_lease_admissions_total '));
      return Number(line?.split(' ')[1] ?? Number.NaN);
    }),
  );
}

describe('the gateway on a Redis Cluster', () => {
  test('nothing of the limit state lands on the single Redis server', async () => {
    const key = await post('/key/generate', {});
    expect((await call(key.key)).status).toBe(200);
    await settled(key.token, 1);
    const prefix = stack.backends.env.SLUICE_REDIS_PREFIX!;
    const server = stack.backends.redis();
    const onServer: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 10_000);
      cursor = next;
      onServer.push(...keys);
    } while (cursor !== '0');
    expect(onServer).toEqual([]);
    // While the cluster holds this run's counters.
    const [, onCluster] = await cluster.node(await cluster.ownerOf(Number(await cluster.node(0).call('CLUSTER', 'KEYSLOT', `${prefix}${limitStateNamespace(prefix)}`)))).scan('0', 'MATCH', `${prefix}*`, 'COUNT', 10_000);
    expect(onCluster.length).toBeGreaterThan(0);
  });

  test('a chat completion, then a budget of two calls used up exactly, on both replicas', async () => {
    const key = await post('/key/generate', { max_budget: (2 * CALL_COST) / 1_000_000 });
    const first = await call(key.key);
    expect(first.status).toBe(200);
    expect(first.body.choices[0].message.content.length).toBeGreaterThan(0);
    await settled(key.token, 1);
    expect((await call(key.key, edgeB)).status).toBe(200);
    await settled(key.token, 2);
    for (const edge of [undefined, edgeB]) {
      const refused = await call(key.key, edge);
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('budget_exceeded');
    }
    expect(await ledger(key.token)).toEqual({ spent: 2 * CALL_COST, rows: 2 });
  });

  test('a key blocked while the limit slot moves to another node is refused on the other replica', async () => {
    const key = await post('/key/generate', {});
    // Replica B has the key cached (and counted) before the change.
    expect((await call(key.key, edgeB)).status).toBe(200);

    const prefix = stack.backends.env.SLUICE_REDIS_PREFIX!;
    const namespace = `${prefix}${limitStateNamespace(prefix)}`;
    const slot = Number(await cluster.node(0).call('CLUSTER', 'KEYSLOT', namespace));
    const from = await cluster.ownerOf(slot);
    const to = (from + 1) % cluster.nodes.length;
    let blocked: Promise<unknown> | undefined;
    await cluster.moveSlot(slot, to, async () => {
      // Half the limit state is on each node: replica A's announcement must wait for the move to end.
      blocked = post('/key/block', { key: key.key });
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
    await blocked;
    expect(await cluster.ownerOf(slot)).toBe(to);

    const refused = await call(key.key, edgeB);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('key_blocked');
    // The announced version reached the new node (not a copy left on the old one, which holds nothing).
    const { rows } = await stack.backends.sql.query<{ key_id: string; version: string }>('SELECT key_id, version FROM api_keys WHERE token = $1', [key.token]);
    const stored = await cluster.node(to).hget(`${namespace}s:k:${rows[0]!.key_id}`, 'v');
    expect(stored).toBe(String(rows[0]!.version));
    expect(Number(await cluster.node(from).call('CLUSTER', 'COUNTKEYSINSLOT', String(slot)))).toBe(0);

    // Unblocked on replica B after the move (MOVED answered to A's stale slot map): A admits it again.
    await post('/key/unblock', { key: key.key }, edgeB);
    await waitFor(async () => (await call(key.key)).status === 200, { timeoutMs: 10_000, message: 'unblocked key still refused' });
  });
  test('leases on the cluster: requests admitted from them are settled exactly, their records live in the limit slot, a block recalls them', async () => {
    const key = await post('/key/generate', { rpm_limit: 64_000 });
    const before = await leaseAdmissions();
    let sent = 0;
    const statuses: number[] = [];
    const worker = async (edge?: string) => {
      while (sent < 120) {
        sent += 1;
        statuses.push((await call(key.key, edge)).status);
      }
    };
    await Promise.all([undefined, edgeB, undefined, edgeB].map(worker));
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    const after = await leaseAdmissions();
    // Both edges admitted from leases (the first requests of each asked policy, and made it lease).
    expect(after[0]! - before[0]!).toBeGreaterThan(0);
    expect(after[1]! - before[1]!).toBeGreaterThan(0);

    const prefix = stack.backends.env.SLUICE_REDIS_PREFIX!;
    const namespace = `${prefix}${limitStateNamespace(prefix)}`;
    const owner = await cluster.ownerOf(Number(await cluster.node(0).call('CLUSTER', 'KEYSLOT', namespace)));
    const leaseRecords = async (node: number) => (await cluster.node(node).scan('0', 'MATCH', `${namespace}l:*`, 'COUNT', 100_000))[1].length;
    expect(await leaseRecords(owner)).toBeGreaterThan(0);
    for (let node = 0; node < cluster.nodes.length; node += 1) if (node !== owner) expect(await leaseRecords(node)).toBe(0);

    // Every request settled once: the ledger has each, the key's window counts each, nothing is held.
    await settled(key.token, 120);
    expect((await ledger(key.token)).spent).toBe(120 * CALL_COST);
    const info = async () => (await stack.admin('GET', `/key/info?key=${key.key}`)).body.info;
    await waitFor(async () => (await info()).reserved_spend_micros === 0, { timeoutMs: 10_000, message: 'a lease still holds money' });
    expect((await info()).spend_micros).toBe(120 * CALL_COST);

    // Blocked on replica A: its answer waited for both edges to give their leases back.
    expect((await call(key.key, edgeB)).status).toBe(200);
    await post('/key/block', { key: key.key });
    for (const edge of [undefined, edgeB]) {
      const refused = await call(key.key, edge);
      expect(refused.status).toBe(401);
      expect(refused.body.error.code).toBe('key_blocked');
    }
  });
});
