import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { freePorts } from './service-processes.js';

// A real three-node Redis Cluster for a test: three redis-server processes on free ports in a temporary
// directory (no persistence), joined by `redis-cli --cluster create`, stopped and removed by stop().
// moveSlot() migrates one slot the way `redis-cli --cluster reshard` does, with a pause in the middle,
// so a test can act while the slot is half moved (ASK / TRYAGAIN) and after it moved (MOVED).

const run = promisify(execFile);
const HOST = '127.0.0.1';

export interface RedisClusterNodeAddress {
  host: string;
  port: number;
}

export interface TestRedisCluster {
  nodes: RedisClusterNodeAddress[];
  /** REDIS_CLUSTER_NODES for a service of this test, in LiteLLM's JSON form. */
  env: Record<string, string>;
  /** A direct connection to one node (index into nodes), for CLUSTER commands. */
  node(index: number): Redis;
  /** A cluster client of the test's own (closed by stop). */
  client(keyPrefix?: string): Cluster;
  /** The index of the node that serves `slot` now. */
  ownerOf(slot: number): Promise<number>;
  /**
   * Moves `slot` to node `to`: marks it importing and migrating, moves half its keys, awaits `midway`
   * (the slot is split between two nodes then), moves the rest and gives the slot to `to`.
   */
  moveSlot(slot: number, to: number, midway?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`redis cluster: ${what} did not happen within ${timeoutMs} ms`);
}

export async function startRedisCluster(): Promise<TestRedisCluster> {
  const directory = await mkdtemp(join(tmpdir(), 'sluice-redis-cluster-'));
  // A client port and a cluster-bus port per node: the default bus port (port + 10000) may be taken.
  const ports = await freePorts(6);
  const nodes = [0, 1, 2].map((index) => ({ host: HOST, port: ports[index]! }));
  const processes: ChildProcess[] = [];
  const connections: Array<Redis | Cluster> = [];
  const direct = new Map<number, Redis>();

  // A test process that dies without stop() must not leave servers behind.
  const killAll = () => {
    for (const child of processes) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killAll);

  const stop = async () => {
    process.off('exit', killAll);
    for (const connection of connections) connection.disconnect();
    await Promise.all(
      processes.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    await rm(directory, { recursive: true, force: true });
  };

  try {
    nodes.forEach((node, index) => {
      const child = spawn(
        'redis-server',
        [
          '--port', String(node.port),
          '--bind', HOST,
          '--cluster-enabled', 'yes',
          '--cluster-port', String(ports[index + 3]),
          '--cluster-config-file', join(directory, `nodes-${node.port}.conf`),
          '--cluster-node-timeout', '5000',
          '--dir', directory,
          '--save', '',
          '--appendonly', 'no',
          '--daemonize', 'no',
          '--loglevel', 'warning',
        ],
        { stdio: 'ignore' },
      );
      processes.push(child);
    });
    const node = (index: number): Redis => {
      let connection = direct.get(index);
      if (!connection) {
        connection = new Redis({ host: HOST, port: nodes[index]!.port, maxRetriesPerRequest: 1 });
        connection.on('error', () => undefined);
        connections.push(connection);
        direct.set(index, connection);
      }
      return connection;
    };
    await Promise.all(nodes.map((_, index) => waitFor(async () => (await node(index).ping()) === 'PONG', `node ${index} answering`)));
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((entry) => `${entry.host}:${entry.port}`), '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 30_000,
    });
    const infoOf = async (index: number) => String(await node(index).call('CLUSTER', 'INFO'));
    await Promise.all(nodes.map((_, index) => waitFor(async () => (await infoOf(index)).includes('cluster_state:ok'), `node ${index} cluster_state:ok`)));

    const idOf = async (index: number) => String(await node(index).call('CLUSTER', 'MYID'));
    const ids = await Promise.all(nodes.map((_, index) => idOf(index)));

    const ownerOf = async (slot: number): Promise<number> => {
      const ranges = (await node(0).call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, string]]>;
      for (const [first, last, [, port]] of ranges) {
        if (slot >= first && slot <= last) return nodes.findIndex((entry) => entry.port === Number(port));
      }
      throw new Error(`redis cluster: nobody serves slot ${slot}`);
    };

    const migrateKeys = async (from: number, to: number, slot: number, count: number) => {
      const keys = (await node(from).call('CLUSTER', 'GETKEYSINSLOT', String(slot), String(count))) as string[];
      if (keys.length === 0) return;
      await node(from).call('MIGRATE', HOST, String(nodes[to]!.port), '', '0', '5000', 'KEYS', ...keys);
    };

    return {
      nodes,
      env: { REDIS_CLUSTER_NODES: JSON.stringify(nodes.map((entry) => ({ host: entry.host, port: String(entry.port) }))) },
      node,
      client(keyPrefix) {
        const cluster = new Cluster(nodes, { keyPrefix, redisOptions: { maxRetriesPerRequest: 1 } });
        cluster.on('error', () => undefined);
        connections.push(cluster);
        return cluster;
      },
      ownerOf,
      async moveSlot(slot, to, midway) {
        const from = await ownerOf(slot);
        if (from === to) throw new Error(`redis cluster: slot ${slot} is on node ${to} already`);
        await node(to).call('CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', ids[from]!);
        await node(from).call('CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', ids[to]!);
        const total = Number(await node(from).call('CLUSTER', 'COUNTKEYSINSLOT', String(slot)));
        await migrateKeys(from, to, slot, Math.max(1, Math.floor(total / 2)));
        await midway?.();
        while (Number(await node(from).call('CLUSTER', 'COUNTKEYSINSLOT', String(slot))) > 0) await migrateKeys(from, to, slot, 100);
        // As redis-cli does: the new owner first, then the old one, then everyone else.
        await node(to).call('CLUSTER', 'SETSLOT', String(slot), 'NODE', ids[to]!);
        await node(from).call('CLUSTER', 'SETSLOT', String(slot), 'NODE', ids[to]!);
        for (let index = 0; index < nodes.length; index += 1) {
          if (index !== to && index !== from) await node(index).call('CLUSTER', 'SETSLOT', String(slot), 'NODE', ids[to]!);
        }
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
