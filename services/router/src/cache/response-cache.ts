import type { Logger } from '@sluice/common';
import { CallType, type CompletePart, type CompleteRequest, type Start, type Usage } from '@sluice/proto';
import type { TokenUsage } from '../providers/provider-adapter.js';
import { assembleStream, ssePayloads } from './assemble-stream.js';
import { cacheKeyOf, requestHash } from './cache-key.js';
import { type CacheEntry, type CacheEntryHeader, decodeEntry, encodeEntry } from './cache-entry.js';
import { type CacheSettings, MAX_TTL_SECONDS } from './cache-settings.js';
import type { CacheStore } from './cache-store.js';
import { replayStream } from './replay-stream.js';
import { assembleAnthropicMessage, replayAnthropicMessage } from './anthropic-message-cache.js';
import { assembleResponse, renewResponse, replayResponse } from './responses-cache.js';
import { responseIdOf } from '../providers/inbound/response-object.js';

/** What the cache does for one request, decided before anything else happens to it. */
export interface CachePlan {
  /** The entry's name, also sent to the client in x-sluice-cache-key. */
  key: string;
  /** false with `no-cache`: go to the provider even when an entry exists (and replace it). */
  lookup: boolean;
  /** false with `no-store`. */
  store: boolean;
  ttlSeconds: number;
  /** `s-maxage`: an older entry is a miss; 0 = any age. */
  maxAgeMs: number;
}

export interface ResponseCacheOptions {
  settings: CacheSettings;
  store: CacheStore;
  logger: Logger;
  now?: () => number;
}

/**
 * Answers larger than this are not stored: they would be slow to move through Redis and through the
 * gRPC stream as one message, and they are rarely asked for twice.
 */
export const MAX_ENTRY_BYTES = 4 * 1024 * 1024;
/** A hit replayed as a stream goes out in Chunk parts of about this size. */
const REPLAY_PART_BYTES = 64 * 1024;
/** While the store fails, one warning per this long. */
const WARN_INTERVAL_MS = 60_000;

/** Collects a provider's answer as it streams past, to store it once the client has it. */
export class AnswerRecorder {
  start: Start | undefined;
  body: Buffer | undefined;
  readonly sse: Buffer[] = [];
  usage: Usage | undefined;
  finishReason: string | undefined;
  failed = false;
  private bytes = 0;

  add(part: CompletePart): void {
    const value = part.part;
    if (!value || this.failed) return;
    switch (value.$case) {
      case 'start':
        this.start = value.start;
        return;
      case 'chunk':
        this.sse.push(value.chunk.sse);
        this.bytes += value.chunk.sse.length;
        if (this.bytes > MAX_ENTRY_BYTES) this.failed = true;
        return;
      case 'body':
        this.body = value.body.json;
        return;
      case 'usage':
        this.usage = value.usage;
        return;
      case 'finish':
        this.finishReason = value.finish.finishReason;
        return;
      case 'error':
        this.failed = true;
        return;
      default:
        return;
    }
  }

  /** A whole answer: started, finished, never failed. */
  get complete(): boolean {
    return !this.failed && this.start !== undefined && this.finishReason !== undefined && (this.body !== undefined || this.sse.length > 0);
  }
}

function tokenUsage(usage: Usage | undefined): TokenUsage {
  return {
    promptTokens: usage?.promptTokens ?? 0,
    completionTokens: usage?.completionTokens ?? 0,
    cachedTokens: usage?.cachedTokens ?? 0,
    reasoningTokens: usage?.reasoningTokens ?? 0,
  };
}

/** A streamed answer as the non-streaming body it stands for: one stored form serves both kinds of request. */
function assembleBody(callType: CallType, sse: Buffer[], usage: TokenUsage | undefined): Buffer | undefined {
  if (callType === CallType.CALL_TYPE_ANTHROPIC_MESSAGES) return assembleAnthropicMessage(sse);
  if (callType === CallType.CALL_TYPE_RESPONSES) return assembleResponse(sse);
  return assembleStream(callType, ssePayloads(sse), usage);
}

/** A stored answer as the whole SSE events of a stream in the client's format. */
function replayEvents(request: CompleteRequest, body: Buffer, renewed: Record<string, unknown> | undefined): { events: string[]; contentEvents: number } {
  if (request.callType === CallType.CALL_TYPE_ANTHROPIC_MESSAGES) return replayAnthropicMessage(body);
  if (renewed) return replayResponse(renewed);
  const { payloads, contentEvents } = replayStream(request.callType, body, request.includeUsage);
  return { events: payloads.map((payload) => `data: ${payload}\n\n`), contentEvents };
}

/**
 * The response cache: decides per request whether and how the cache applies, looks the answer up (one
 * GET), replays a hit as the same parts a provider's answer would produce, and stores a miss's answer in
 * the background once the response is done. Every store failure is a miss: the cache can make requests
 * cheaper, never make them fail.
 */
export class ResponseCache {
  private readonly settings: CacheSettings;
  private readonly store: CacheStore;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly pending: Set<Promise<void>>;
  private lastWarningMs = -Infinity;

  constructor(options: ResponseCacheOptions, pending = new Set<Promise<void>>()) {
    this.settings = options.settings;
    this.store = options.store;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.pending = pending;
  }

  /** The same store (and stores under way) with a reloaded config's ttl, namespace, mode and call types. */
  withSettings(settings: CacheSettings): ResponseCache {
    return new ResponseCache({ settings, store: this.store, logger: this.logger, now: this.now }, this.pending);
  }

  get storeKind(): CacheStore['kind'] {
    return this.store.kind;
  }

  /** undefined when the cache does not apply to this request (call type, or default_off without opt-in). */
  plan(request: CompleteRequest, body: Record<string, unknown>): CachePlan | undefined {
    if (!this.settings.callTypes.has(request.callType)) return undefined;
    const control = request.cache;
    if (this.settings.defaultOff && !control?.useCache) return undefined;
    const betas = request.callType === CallType.CALL_TYPE_ANTHROPIC_MESSAGES ? (request.clientHeaders['anthropic-beta'] ?? '') : '';
    const hash = requestHash(request.callType, request.modelGroup, body, betas);
    const namespace = control?.namespace || this.settings.namespace;
    return {
      key: cacheKeyOf(hash, namespace, request.cacheNamespace),
      lookup: !control?.noCache,
      store: !control?.noStore,
      ttlSeconds: control?.ttlSeconds ? Math.min(control.ttlSeconds, MAX_TTL_SECONDS) : this.settings.ttlSeconds,
      maxAgeMs: (control?.sMaxageSeconds ?? 0) * 1000,
    };
  }

  /** The stored answer, or undefined for a miss (none, too old, unreadable, or the store failing). */
  async lookup(plan: CachePlan): Promise<CacheEntry | undefined> {
    let bytes: Buffer | null;
    try {
      bytes = await this.store.get(plan.key);
    } catch (error) {
      this.warn(error, 'response cache lookup failed; answering without it');
      return undefined;
    }
    if (!bytes) return undefined;
    const entry = decodeEntry(bytes);
    if (!entry) return undefined;
    if (plan.maxAgeMs > 0 && this.now() - entry.header.storedAtMs > plan.maxAgeMs) return undefined;
    return entry;
  }

  /** A hit as the parts of a provider's answer: Start (marked as a hit, priced at zero), the answer, usage, finish. */
  replay(entry: CacheEntry, request: CompleteRequest, plan: CachePlan): CompletePart[] {
    const { header } = entry;
    const parts: CompletePart[] = [
      {
        part: {
          $case: 'start',
          start: {
            deploymentId: header.deploymentId,
            provider: header.provider,
            model: header.model,
            apiBaseHost: header.apiBaseHost,
            attempts: 0,
            upstreamWaitUs: 0,
            cacheHit: true,
            cacheKey: plan.key,
            // Nothing is owed for a cached answer, even if the client goes away half-way through it.
            inputPriceMicros: 0,
            outputPriceMicros: 0,
            priceJson: '',
          },
        },
      },
    ];
    const streamed = request.stream && request.callType !== CallType.CALL_TYPE_EMBEDDING;
    // A Responses hit is a new response: its own id, so it can be stored and continued.
    const renewed = request.callType === CallType.CALL_TYPE_RESPONSES ? renewResponse(entry.body, responseIdOf(request.requestId), Math.floor(this.now() / 1000)) : undefined;
    if (streamed) {
      const { events, contentEvents } = replayEvents(request, entry.body, renewed);
      const chunk = (sse: string, count: number): CompletePart => ({ part: { $case: 'chunk', chunk: { sse: Buffer.from(sse), contentEvents: count } } });
      let sse = '';
      let inPart = 0;
      let counted = 0;
      // Content events are counted in the order they come (chat's come first), up to the answer's total.
      const flush = () => {
        const count = Math.min(inPart, contentEvents - counted);
        counted += count;
        parts.push(chunk(sse, count));
        sse = '';
        inPart = 0;
      };
      for (const text of events) {
        sse += text;
        inPart += 1;
        if (sse.length >= REPLAY_PART_BYTES) flush();
      }
      if (sse !== '') flush();
    }
    const usage = header.usage;
    parts.push({
      part: {
        $case: 'usage',
        usage: {
          promptTokens: usage.promptTokens,
          completionTokens: usage.completionTokens,
          cachedTokens: usage.cachedTokens,
          reasoningTokens: usage.reasoningTokens,
          costMicros: 0,
          estimated: header.usageEstimated,
          costNanos: 0,
          priceSource: 'cache',
          cacheWrite5mTokens: 0,
          cacheWrite1hTokens: 0,
          cacheCreationTokens: 0,
        },
      },
    });
    // After the usage, as from a provider: the edge sends the body's headers with its cost.
    if (!streamed) parts.push({ part: { $case: 'body', body: { json: renewed ? Buffer.from(JSON.stringify(renewed)) : entry.body } } });
    parts.push({ part: { $case: 'finish', finish: { finishReason: header.finishReason } } });
    return parts;
  }

  /**
   * Stores what the recorder collected, after the current turn of the event loop so the response's end
   * reaches the client first. Answers from a fallback group are not stored: they are not the requested
   * group's answer.
   */
  storeLater(plan: CachePlan, request: CompleteRequest, recorder: AnswerRecorder, fromRequestedGroup: (deploymentId: string) => boolean): void {
    if (!recorder.complete || !fromRequestedGroup(recorder.start!.deploymentId)) return;
    const task = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.write(plan, request, recorder))
      .catch((error: unknown) => this.warn(error, 'response cache store failed'))
      .finally(() => this.pending.delete(task));
    this.pending.add(task);
  }

  private async write(plan: CachePlan, request: CompleteRequest, recorder: AnswerRecorder): Promise<void> {
    const start = recorder.start!;
    const usage = tokenUsage(recorder.usage);
    const body = recorder.body ?? assembleBody(request.callType, recorder.sse, recorder.usage ? usage : undefined);
    // A stream that never said what it answered is not kept.
    if (!body) return;
    const header: CacheEntryHeader = {
      v: 1,
      storedAtMs: this.now(),
      deploymentId: start.deploymentId,
      provider: start.provider,
      model: start.model,
      apiBaseHost: start.apiBaseHost,
      usage,
      usageEstimated: recorder.usage?.estimated ?? true,
      finishReason: recorder.finishReason ?? '',
    };
    const bytes = encodeEntry({ header, body });
    if (bytes.length > MAX_ENTRY_BYTES) return;
    await this.store.set(plan.key, bytes, plan.ttlSeconds);
  }

  private warn(error: unknown, message: string): void {
    const now = this.now();
    if (now - this.lastWarningMs < WARN_INTERVAL_MS) return;
    this.lastWarningMs = now;
    this.logger.warn({ err: error }, message);
  }

  /** Resolves when the stores under way are done (they are quick, or fail at once). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    await this.idle();
    await this.store.close();
  }
}
