// LiteLLM's names for a Redis Cluster: REDIS_CLUSTER_NODES in the environment, `redis_startup_nodes` in
// a config (both a list of {"host", "port"}), with the password, user and TLS of the usual Redis
// settings. ioredis asks any startup node for the cluster's layout, so a few nodes (or the one
// configuration endpoint of a managed cluster) are enough.

export interface RedisClusterNode {
  host: string;
  port: number;
}

export interface RedisClusterSettings {
  nodes: RedisClusterNode[];
  username: string | undefined;
  password: string | undefined;
  /** TLS to every node (ElastiCache and Azure clusters with in-transit encryption). */
  tls: boolean;
}

function node(entry: unknown, where: string): RedisClusterNode {
  if (typeof entry === 'string') {
    const at = entry.lastIndexOf(':');
    const host = (at > 0 ? entry.slice(0, at) : entry).replace(/^\[|\]$/g, '');
    const port = at > 0 ? Number(entry.slice(at + 1)) : 6379;
    if (host && Number.isInteger(port) && port > 0 && port < 65536) return { host, port };
  } else if (entry !== null && typeof entry === 'object') {
    const { host, port } = entry as { host?: unknown; port?: unknown };
    const number = port === undefined ? 6379 : Number(port);
    if (typeof host === 'string' && host !== '' && Number.isInteger(number) && number > 0 && number < 65536) return { host, port: number };
  }
  throw new Error(`${where}: every Redis Cluster node must be {"host": "...", "port": 6379} or "host:port", got ${JSON.stringify(entry)}`);
}

/**
 * The nodes of `redis_startup_nodes` or REDIS_CLUSTER_NODES: a list (or, in the environment, its JSON
 * text, or "host:port,host:port"). Undefined when nothing is set.
 */
export function parseClusterNodes(value: unknown, where: string): RedisClusterNode[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let list: unknown = value;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed.startsWith('[')) {
      try {
        list = JSON.parse(trimmed) as unknown;
      } catch {
        throw new Error(`${where} must be a JSON list of {"host", "port"} or "host:port,host:port"`);
      }
    } else {
      list = trimmed.split(',').map((part) => part.trim());
    }
  }
  if (!Array.isArray(list) || list.length === 0) throw new Error(`${where} must list at least one Redis Cluster node`);
  return list.map((entry) => node(entry, where));
}

export function isTrue(value: string | boolean | undefined): boolean {
  return value === true || (typeof value === 'string' && ['true', '1', 'yes'].includes(value.toLowerCase()));
}
