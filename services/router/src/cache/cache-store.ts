/**
 * Where cached answers live: Redis (shared by every router replica) or this process (embedded mode,
 * `type: local`). Keys are the logical cache keys; values are encoded entries. A failing store is a
 * miss for the caller, never an error for the client.
 */
export interface CacheStore {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<Buffer | null>;
  set(key: string, value: Buffer, ttlSeconds: number): Promise<void>;
  close(): Promise<void>;
}
