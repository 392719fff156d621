// What this router replica has seen of each deployment: requests in flight (least-busy), a moving
// average of latency (latency-based-routing) and this minute's requests and tokens
// (usage-based-routing). Kept in memory, so reading them costs nothing on the request path; with Redis,
// SharedRoutingStats adds what the other replicas published (at most a second or so old). These steer
// load, they are not limits.
import type { SharedFigures } from './shared-routing-stats.js';

const MINUTE = 60_000;
const LATENCY_WEIGHT = 0.3;

interface Stats {
  inFlight: number;
  latencyMs: number | undefined;
  minute: number;
  requests: number;
  tokens: number;
  failures: number;
  /** The previous minute's requests and failures, so a recent error rate does not reset to nothing at :00. */
  previousRequests: number;
  previousFailures: number;
}

export class DeploymentStats {
  private readonly stats = new Map<string, Stats>();
  constructor(private readonly now: () => number = Date.now) {}

  private get(id: string): Stats {
    let entry = this.stats.get(id);
    if (!entry) {
      entry = { inFlight: 0, latencyMs: undefined, minute: 0, requests: 0, tokens: 0, failures: 0, previousRequests: 0, previousFailures: 0 };
      this.stats.set(id, entry);
    }
    const minute = Math.floor(this.now() / MINUTE);
    if (entry.minute !== minute) {
      const previous = entry.minute === minute - 1;
      entry.previousRequests = previous ? entry.requests : 0;
      entry.previousFailures = previous ? entry.failures : 0;
      entry.failures = 0;
      entry.minute = minute;
      entry.requests = 0;
      entry.tokens = 0;
    }
    return entry;
  }

  started(id: string): void {
    const entry = this.get(id);
    entry.inFlight += 1;
    entry.requests += 1;
  }

  ended(id: string): void {
    const entry = this.get(id);
    entry.inFlight = Math.max(0, entry.inFlight - 1);
  }

  /** Time to first token for streams, to the whole answer otherwise. */
  latency(id: string, ms: number): void {
    const entry = this.get(id);
    entry.latencyMs = entry.latencyMs === undefined ? ms : entry.latencyMs * (1 - LATENCY_WEIGHT) + ms * LATENCY_WEIGHT;
  }

  tokens(id: string, count: number): void {
    this.get(id).tokens += count;
  }

  /** An attempt that failed in a way that counts against the deployment (as cooldowns count them). */
  failed(id: string): void {
    this.get(id).failures += 1;
  }

  /** Attempts and failures in this minute and the one before: the recent error rate /model/info shows. */
  recent(id: string): { requests: number; failures: number } {
    const entry = this.get(id);
    return { requests: entry.requests + entry.previousRequests, failures: entry.failures + entry.previousFailures };
  }

  /** Requests in flight on this replica, plus on the others when shared. */
  inFlight(id: string): number {
    return this.get(id).inFlight + (this.shared?.(id)?.othersInFlight ?? 0);
  }

  /** Every replica's average when shared through Redis, else this replica's own. */
  latencyMs(id: string): number | undefined {
    return this.shared?.(id)?.latencyMs ?? this.get(id).latencyMs;
  }

  /** This minute's requests and tokens, on this replica plus the others when shared. */
  minuteUsage(id: string): { requests: number; tokens: number } {
    const entry = this.get(id);
    const others = this.shared?.(id);
    if (!others || others.minute !== entry.minute) return { requests: entry.requests, tokens: entry.tokens };
    return { requests: entry.requests + others.othersRequests, tokens: entry.tokens + others.othersTokens };
  }

  /** This replica's own figures, which it publishes for the others; undefined for a deployment it never used. */
  own(id: string): { latencyMs: number | undefined; inFlight: number; minute: number; requests: number; tokens: number } | undefined {
    if (!this.stats.has(id)) return undefined;
    const entry = this.get(id);
    return { latencyMs: entry.latencyMs, inFlight: entry.inFlight, minute: entry.minute, requests: entry.requests, tokens: entry.tokens };
  }

  /** Adds every replica's figures (SharedRoutingStats) to what this one decides on. */
  share(lookup: (id: string) => SharedFigures | undefined): void {
    this.shared = lookup;
  }

  private shared: ((id: string) => SharedFigures | undefined) | undefined;
}
