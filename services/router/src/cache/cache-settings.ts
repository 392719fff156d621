import { type GatewayConfig, parseClusterNodes, type RedisClusterSettings } from '@sluice/common';
import { CallType } from '@sluice/proto';

/** litellm_settings.cache / cache_params, read once into what the router's response cache uses. */
export interface CacheSettings {
  /** `redis` is shared by every replica; `local` lives in one router process. */
  type: 'redis' | 'local';
  /** The cache's own Redis from cache_params; undefined (and no cluster) means the deployment's Redis. */
  redisUrl: string | undefined;
  /** The cache's own Redis Cluster from cache_params.redis_startup_nodes. */
  redisCluster: RedisClusterSettings | undefined;
  ttlSeconds: number;
  namespace: string;
  callTypes: ReadonlySet<CallType>;
  /** mode: default_off: only requests that send `cache: {"use-cache": true}` use the cache. */
  defaultOff: boolean;
}

export type CacheSettingsResult = { kind: 'off' } | { kind: 'unsupported'; type: string } | { kind: 'on'; settings: CacheSettings };

/**
 * LiteLLM keeps entries without an expiry when no ttl is set. In a Redis that also holds rate-limit
 * counters, an unbounded cache can crowd those out, so entries live an hour unless configured otherwise.
 */
export const DEFAULT_TTL_SECONDS = 3_600;
/** Redis' EX takes any 32-bit count; a month is more than any answer should be kept. */
export const MAX_TTL_SECONDS = 30 * 24 * 3_600;

// LiteLLM's call type names (sync and async spellings) for the routes Sluice serves.
const CALL_TYPES: Readonly<Record<string, CallType>> = {
  completion: CallType.CALL_TYPE_CHAT_COMPLETION,
  acompletion: CallType.CALL_TYPE_CHAT_COMPLETION,
  text_completion: CallType.CALL_TYPE_COMPLETION,
  atext_completion: CallType.CALL_TYPE_COMPLETION,
  embedding: CallType.CALL_TYPE_EMBEDDING,
  aembedding: CallType.CALL_TYPE_EMBEDDING,
  anthropic_messages: CallType.CALL_TYPE_ANTHROPIC_MESSAGES,
  responses: CallType.CALL_TYPE_RESPONSES,
  aresponses: CallType.CALL_TYPE_RESPONSES,
};

const ALL_CALL_TYPES = [
  CallType.CALL_TYPE_CHAT_COMPLETION,
  CallType.CALL_TYPE_COMPLETION,
  CallType.CALL_TYPE_EMBEDDING,
  CallType.CALL_TYPE_ANTHROPIC_MESSAGES,
  CallType.CALL_TYPE_RESPONSES,
];

/** `redis://[user[:password]@]host:port` from LiteLLM's separate fields, or the `url` as given. */
function redisUrlOf(params: NonNullable<NonNullable<GatewayConfig['litellm_settings']>['cache_params']>): string | undefined {
  if (params.url) return params.url;
  const host = params.host ?? params.redis_host;
  const port = params.port ?? params.redis_port;
  const passwordText = params.password ?? params.redis_password;
  if (!host) return undefined;
  const scheme = params.ssl ? 'rediss' : 'redis';
  const user = params.username ? encodeURIComponent(params.username) : '';
  const password = passwordText ? `:${encodeURIComponent(passwordText)}` : '';
  const auth = user || password ? `${user}${password}@` : '';
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `${scheme}://${auth}${bracketed}:${port ?? 6379}`;
}

function redisClusterOf(params: NonNullable<NonNullable<GatewayConfig['litellm_settings']>['cache_params']>): RedisClusterSettings | undefined {
  const nodes = parseClusterNodes(params.redis_startup_nodes, 'litellm_settings.cache_params.redis_startup_nodes');
  if (!nodes) return undefined;
  return { nodes, username: params.username, password: params.password ?? params.redis_password, tls: params.ssl === true };
}

export function readCacheSettings(config: GatewayConfig): CacheSettingsResult {
  const litellm = config.litellm_settings ?? {};
  if (litellm.cache !== true) return { kind: 'off' };
  const params = litellm.cache_params ?? {};
  const type = params.type ?? 'redis';
  if (type !== 'redis' && type !== 'local') return { kind: 'unsupported', type };
  const callTypes = new Set<CallType>();
  for (const name of params.supported_call_types ?? []) {
    const callType = CALL_TYPES[name];
    if (callType !== undefined) callTypes.add(callType);
  }
  const ttl = params.ttl !== undefined && params.ttl > 0 ? Math.min(Math.ceil(params.ttl), MAX_TTL_SECONDS) : DEFAULT_TTL_SECONDS;
  return {
    kind: 'on',
    settings: {
      type,
      redisUrl: type === 'redis' ? redisUrlOf(params) : undefined,
      redisCluster: type === 'redis' ? redisClusterOf(params) : undefined,
      ttlSeconds: ttl,
      namespace: params.namespace ?? '',
      // An empty list is LiteLLM's way to keep Redis for routing only: no call type is cached.
      callTypes: params.supported_call_types === undefined ? new Set(ALL_CALL_TYPES) : callTypes,
      defaultOff: params.mode === 'default_off',
    },
  };
}
