// How Sluice names Redis keys so that they work on a Redis Cluster: keys one script or multi-key
// command touches together carry the same hash tag. Any new script follows scriptKeys.

/**
 * `{name}`: a Redis Cluster hash tag. Keys that carry the same tag hash to the same slot, so one
 * script or multi-key command may touch them together; only the first `{…}` of a key counts, so a
 * SLUICE_REDIS_PREFIX with braces of its own puts every key in one slot (correct, but unsharded).
 */
export function hashTagged(name: string): string {
  return `{${name}}`;
}

/**
 * KEYS for a Lua script whose keys all live under `namespace` (which carries a hash tag): KEYS[1] is the
 * namespace the script builds its key names from, KEYS[2] a fence. Neither is ever written. Two declared
 * keys that do not exist make a Redis Cluster answer ASK, then TRYAGAIN, for as long as their slot is
 * being migrated, so a script never runs while some of its keys have moved and others not (it would
 * read the ones still on the old node as missing); ioredis retries until the slot has moved.
 */
export function scriptKeys(namespace: string): [string, string] {
  return [namespace, `${namespace}fence`];
}

/**
 * Every key of the limit state lives under this segment after the prefix, and carries its hash tag.
 * One decision checks a key's, user's, team's and organisation's scopes at once, and one script run
 * takes a batch of decisions (and settles a batch of usage), so the whole namespace must share one
 * Redis Cluster slot: one node serves all limit state, the other nodes the rest (cooldowns, latency,
 * the response cache, BullMQ). The tag names the deployment's prefix, so deployments that share a
 * cluster spread over its nodes.
 *
 * Money is counted in nano-USD here; releases that counted micro-USD (`n:`) or kept the namespace
 * without a tag used other key names, so an upgraded policy never reads those: it rebuilds spend from
 * the ledger (cost_nanos) on first use instead, and rate windows start afresh.
 */
export const limitStateNamespace = (prefix: string) => `${hashTagged(`${prefix}limits`)}:`;

