import type { CacheStore } from './cache-store.js';

export interface MemoryCacheStoreOptions {
  /** Total size of the stored values; the least recently used entries go first past it. */
  maxBytes?: number;
  maxEntries?: number;
  now?: () => number;
}

interface Stored {
  value: Buffer;
  expiresAtMs: number;
}

const MEBIBYTE = 1024 * 1024;

/**
 * The response cache of one process, for embedded mode and `type: local`: least recently used first
 * out, bounded in bytes and entries so a busy gateway cannot grow without limit.
 */
export class MemoryCacheStore implements CacheStore {
  readonly kind = 'memory';
  // A Map iterates in insertion order; re-inserting on every read keeps the least recently used first.
  private readonly entries = new Map<string, Stored>();
  private bytes = 0;
  private readonly maxBytes: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryCacheStoreOptions = {}) {
    this.maxBytes = options.maxBytes ?? 64 * MEBIBYTE;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  get storedBytes(): number {
    return this.bytes;
  }

  async get(key: string): Promise<Buffer | null> {
    const stored = this.entries.get(key);
    if (!stored) return null;
    this.entries.delete(key);
    if (stored.expiresAtMs <= this.now()) {
      this.bytes -= stored.value.length;
      return null;
    }
    this.entries.set(key, stored);
    return stored.value;
  }

  async set(key: string, value: Buffer, ttlSeconds: number): Promise<void> {
    this.remove(key);
    if (value.length > this.maxBytes) return;
    this.entries.set(key, { value, expiresAtMs: this.now() + ttlSeconds * 1000 });
    this.bytes += value.length;
    for (const oldest of this.entries.keys()) {
      if (this.bytes <= this.maxBytes && this.entries.size <= this.maxEntries) break;
      this.remove(oldest);
    }
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.bytes = 0;
  }

  private remove(key: string): void {
    const stored = this.entries.get(key);
    if (!stored) return;
    this.entries.delete(key);
    this.bytes -= stored.value.length;
  }
}
