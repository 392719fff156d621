import type { ErrorCode } from '@sluice/common';

export type AbortRequest = (code: ErrorCode) => void;

/**
 * The proxied requests still running, so a shutdown can wait for them and, when the drain timeout
 * passes, end the rest with an error (and their partial usage) instead of cutting connections.
 */
export class InflightRequests {
  private readonly handles = new Set<AbortRequest>();
  private idleWaiters: Array<() => void> = [];

  add(abort: AbortRequest): () => void {
    this.handles.add(abort);
    return () => {
      this.handles.delete(abort);
      if (this.handles.size === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const wake of waiters) wake();
      }
    };
  }

  get size(): number {
    return this.handles.size;
  }

  /** Resolves true when every request finished within `timeoutMs`. */
  waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.handles.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  abortAll(code: ErrorCode): void {
    for (const abort of [...this.handles]) abort(code);
  }
}
