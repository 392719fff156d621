import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { AuthorizeRequest } from '@sluice/proto';

// The leases this policy replica granted and which edge stream each went to, so that an admin change
// announced on the invalidation channel recalls them at once: every replica receives the announcement
// and recalls its own. Entries end with the lease (returned, or past its end).

type Call = ServerDuplexStream<AuthorizeRequest, Buffer>;

interface Entry {
  scopes: string[];
  endsAtMs: number;
  call: Call | undefined;
  /** Recalled before its grant reached the edge: recalled right after it does. */
  recalled: boolean;
}

export class LeaseRegistry {
  private readonly open = new Map<string, Entry>();
  private grants = 0;

  constructor(
    private readonly now: () => number,
    /** Sends the ids on the call (a Decision with `recalled_lease_ids`). */
    private readonly sendRecall: (call: Call, leaseIds: string[]) => void,
  ) {}

  granted(leaseId: string, scopes: string[], durationMs: number): void {
    // Leases an edge never gave back (it was cut off) leave now and then.
    this.grants += 1;
    if (this.grants % 256 === 0) this.dropEnded();
    this.open.set(leaseId, { scopes, endsAtMs: this.now() + durationMs, call: undefined, recalled: false });
  }

  /** The grant was written to this call. */
  delivered(leaseId: string, call: Call): void {
    const entry = this.open.get(leaseId);
    if (!entry) return;
    entry.call = call;
    if (entry.recalled) this.recallEntries([[leaseId, entry]]);
  }

  private dropEnded(): void {
    const now = this.now();
    for (const [leaseId, entry] of this.open) if (entry.endsAtMs <= now) this.open.delete(leaseId);
  }

  forget(leaseId: string): void {
    this.open.delete(leaseId);
  }

  /** Recalls every open lease covering one of these entity scopes; `undefined` recalls them all. */
  recall(scopes: ReadonlySet<string> | undefined): void {
    const now = this.now();
    const matching: Array<[string, Entry]> = [];
    for (const [leaseId, entry] of this.open) {
      if (entry.endsAtMs <= now) {
        this.open.delete(leaseId);
        continue;
      }
      if (!scopes || entry.scopes.some((scope) => scopes.has(scope))) matching.push([leaseId, entry]);
    }
    this.recallEntries(matching);
  }

  private recallEntries(entries: Array<[string, Entry]>): void {
    const byCall = new Map<Call, string[]>();
    for (const [leaseId, entry] of entries) {
      if (!entry.call) {
        entry.recalled = true;
        continue;
      }
      this.open.delete(leaseId);
      const ids = byCall.get(entry.call) ?? [];
      ids.push(leaseId);
      byCall.set(entry.call, ids);
    }
    for (const [call, ids] of byCall) this.sendRecall(call, ids);
  }
}
