import type { KeyRecord } from './key-record.js';

// Key records in this process, so a decision needs no database query. An entry is used for `ttlMs`,
// then refreshed in the background while the old copy keeps answering (and keeps answering for as long
// as the database is unreachable: keys already seen keep working). An entry an admin change invalidated
// is different: the next decision waits for the new copy, because the old one is known to be wrong.
// Unknown keys are remembered briefly too, so a stream of made-up keys that pass the checksum cannot
// turn into a stream of database queries.

export type LoadKey<R = KeyRecord> = (token: string) => Promise<R | null>;

interface Entry<R> {
  record: R | null;
  loadedAt: number;
  /** Known to be out of date: do not answer from it without trying the database first. */
  invalid: boolean;
}

export interface KeyCacheOptions<R = KeyRecord> {
  load: LoadKey<R>;
  ttlMs: number;
  negativeTtlMs: number;
  maxEntries: number;
  now: () => number;
  onRefreshError?: (error: unknown) => void;
}

// The same cache holds end users and tags (request-entities.ts), by id instead of hash.
export class KeyCache<R = KeyRecord> {
  private readonly entries = new Map<string, Entry<R>>();
  private readonly loading = new Map<string, Promise<R | null>>();
  /** Counts invalidations, so a load that was running across one does not clear it. */
  private epoch = 0;

  constructor(private readonly options: KeyCacheOptions<R>) {}

  get size(): number {
    return this.entries.size;
  }

  /** The record for a key hash; throws only when it is not cached and the database cannot answer. */
  async get(token: string): Promise<R | null> {
    const entry = this.entries.get(token);
    if (!entry) return this.load(token);
    const age = this.options.now() - entry.loadedAt;
    // Invalidated by an admin change: if the database cannot answer, refusing is safer than the old copy.
    if (entry.invalid) return this.load(token);
    const ttl = entry.record ? this.options.ttlMs : this.options.negativeTtlMs;
    if (age >= ttl && !this.loading.has(token)) {
      this.load(token).catch((error: unknown) => this.options.onRefreshError?.(error));
    }
    return entry.record;
  }

  /** Reads the key from the database now, replacing the cached copy (the caller saw it is stale). */
  reload(token: string): Promise<R | null> {
    const entry = this.entries.get(token);
    if (entry) entry.invalid = true;
    // Not joining a load already running: it may have started before the change the caller saw.
    return this.load(token, true);
  }

  /** Marks every entry matching `predicate` as out of date (admin changes arrive here). */
  invalidate(predicate: (token: string, record: R | null) => boolean): number {
    this.epoch += 1;
    let count = 0;
    for (const [token, entry] of this.entries) {
      if (predicate(token, entry.record)) {
        entry.invalid = true;
        count += 1;
      }
    }
    return count;
  }

  /** After missing invalidations (the channel was down): refresh everything, but keep serving it. */
  expireAll(): void {
    for (const entry of this.entries.values()) entry.loadedAt = Number.NEGATIVE_INFINITY;
  }

  private load(token: string, fresh = false): Promise<R | null> {
    const running = this.loading.get(token);
    if (running && !fresh) return running;
    const startEpoch = this.epoch;
    const promise = this.options
      .load(token)
      .then((record) => {
        const invalidatedMeanwhile = this.epoch !== startEpoch && (this.entries.get(token)?.invalid ?? false);
        this.entries.delete(token);
        this.entries.set(token, { record, loadedAt: this.options.now(), invalid: invalidatedMeanwhile });
        if (this.entries.size > this.options.maxEntries) {
          // Map order is insertion order and reloads re-insert: the first entry is the least recently loaded.
          const oldest = this.entries.keys().next().value;
          if (oldest !== undefined) this.entries.delete(oldest);
        }
        return record;
      })
      .finally(() => {
        if (this.loading.get(token) === promise) this.loading.delete(token);
      });
    this.loading.set(token, promise);
    return promise;
  }
}
