import { performance } from 'node:perf_hooks';
import type { ServiceError } from '@grpc/grpc-js';
import {
  type ErrorCode,
  errorSpec,
  fromGrpcError,
  GatewayError,
} from '@sluice/common';
import { type CacheControl, type CallType, type CompletePart, type Decision, type Start, type Usage, UsageStatus } from '@sluice/proto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EdgeContext } from '../edge-context.js';
import { loggedInput } from '../usage/logged-input.js';
import { decodePrice, finalCostNanos, nanosToRoundedMicros, nanosToUsd } from '@sluice/pricing';
import { buildUsageEvent, headerTags } from '../usage/usage-event.js';
import { observeRequest } from '../observability/request-observer.js';
import { type InboundWire, OPENAI_WIRE } from './inbound-wire.js';

export interface ForwardRequest {
  route: string;
  callType: CallType;
  /** As recorded in the ledger: chat_completion, completion, embedding. */
  callTypeName: string;
  body: Record<string, unknown>;
  rawBody: Buffer;
  /** Set by forwardToRouter: the end user and the request's own tags (usage-event.ts). */
  endUser?: string;
  tags?: string[];
  stream: boolean;
  includeUsage: boolean;
  estimatedPromptTokens: number;
  /** Response cache: the client's controls, and the tenant its entries are kept under (per-team namespacing). */
  cache?: CacheControl;
  cacheNamespace?: string;
  /** The client's format, when it is not OpenAI's: how errors and the end of a stream are written. */
  wire?: InboundWire;
  /** Client headers the router may forward to a provider of the same format. */
  clientHeaders?: Record<string, string>;
}

const KEEP_ALIVE = Buffer.from(': keep-alive\n\n');
const NO_USAGE: Usage = {
  promptTokens: 0,
  completionTokens: 0,
  cachedTokens: 0,
  reasoningTokens: 0,
  costMicros: 0,
  estimated: true,
  costNanos: 0,
  priceSource: '',
  cacheWrite5mTokens: 0,
  cacheWrite1hTokens: 0,
  cacheCreationTokens: 0,
};


/**
 * One authorized request on its way through the router and back: writes what the router streams to the
 * client as it arrives, turns failures into OpenAI-shaped errors (an HTTP error before the first byte,
 * an SSE error event after it), and publishes exactly one usage event however it ends.
 */
export class ProxiedRequest {
  private start: Start | undefined;
  private usage: Usage | undefined;
  private contentEvents = 0;
  private loggedInputJson: string | undefined;
  private firstTokenTimeMs = 0;
  private overheadMs = 0;
  private headersSent = false;
  private ended = false;
  private abortedWith: ErrorCode | 'client_closed' | undefined;
  private status = UsageStatus.USAGE_STATUS_SUCCESS;
  private errorCode = '';
  private httpStatus = 200;
  private responseBody: Buffer | undefined;
  private slotReleased: Promise<void> | undefined;
  private finishReason = '';
  private readonly wire: InboundWire;
  // Read once: a config reload during the request does not change how it is recorded.
  private readonly recordMessages: boolean;
  private readonly logMessages: boolean;

  constructor(
    private readonly context: EdgeContext,
    private readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
    private readonly forward: ForwardRequest,
    private readonly decision: Decision,
    private readonly extraHeaders: Record<string, string>,
  ) {
    this.wire = forward.wire ?? OPENAI_WIRE;
    this.recordMessages = context.options.recordMessages;
    this.logMessages = context.observability.logMessages;
  }

  async execute(): Promise<void> {
    const { context, forward, decision } = this;
    const call = context.clients.complete({
      requestId: this.request.id,
      callType: forward.callType,
      modelGroup: decision.modelGroup,
      body: forward.rawBody,
      stream: forward.stream,
      includeUsage: forward.includeUsage,
      cacheNamespace: forward.cacheNamespace ?? '',
      cache: forward.cache,
      traceparent: this.request.traceparent,
      clientHeaders: forward.clientHeaders ?? {},
      owner: decision.identity?.keyHash ?? '',
      tags: headerTags(this.request.headers['x-litellm-tags']),
    });
    const abort = (code: ErrorCode | 'client_closed') => {
      if (this.ended || this.abortedWith) return;
      this.abortedWith = code;
      call.cancel();
    };
    const removeInflight = context.inflight.add(abort);
    const response = this.reply.raw;
    const onClose = () => {
      if (!response.writableFinished) abort('client_closed');
    };
    response.on('close', onClose);

    try {
      for await (const part of call) {
        await this.handle(part);
      }
      if (!this.ended) {
        await this.releaseSlot();
        this.finishResponse();
      }
    } catch (error) {
      this.fail(error);
    } finally {
      removeInflight();
      response.off('close', onClose);
      void this.releaseSlot();
      this.publishUsage();
    }
  }

  private async handle(part: CompletePart): Promise<void> {
    const value = part.part;
    if (!value) return;
    switch (value.$case) {
      case 'start':
        this.start = value.start;
        return;
      case 'keepAlive':
        if (this.forward.stream) await this.write(KEEP_ALIVE);
        return;
      case 'chunk':
        if (this.firstTokenTimeMs === 0) this.firstTokenTimeMs = Date.now();
        this.contentEvents += value.chunk.contentEvents;
        await this.write(value.chunk.sse);
        return;
      case 'body':
        this.firstTokenTimeMs = Date.now();
        if (this.recordMessages || this.tracesMessages()) this.responseBody = value.body.json;
        await this.releaseSlot();
        this.sendBody(value.body.json);
        return;
      case 'usage':
        this.usage = value.usage;
        return;
      case 'finish':
        this.finishReason = value.finish.finishReason;
        return;
      case 'error':
        this.status = UsageStatus.USAGE_STATUS_FAILURE;
        this.errorCode = value.error.code;
        await this.write(this.wire.streamError(value.error.code as ErrorCode, value.error.message));
        this.end();
        return;
    }
  }

  /**
   * Hands the parallel-request slot back before the client sees the end of the response, so its next
   * request never finds the slot still taken by this one.
   */
  private releaseSlot(): Promise<void> {
    if (!this.decision.holdsParallelSlot) return Promise.resolve();
    this.slotReleased ??= this.context.clients.release(this.request.id);
    return this.slotReleased;
  }

  private overhead(): number {
    const elapsed = performance.now() - this.request.startedAt;
    const upstream = (this.start?.upstreamWaitUs ?? 0) / 1000;
    return Math.max(0, elapsed - upstream);
  }

  private baseHeaders(): Record<string, string> {
    this.overheadMs = this.overhead();
    const headers: Record<string, string> = {
      'x-request-id': this.request.id,
      'x-sluice-overhead-ms': this.overheadMs.toFixed(3),
      ...this.extraHeaders,
    };
    // The router names the entry whenever the cache applied to the request, hit or miss.
    if (this.start?.cacheKey) {
      headers['x-sluice-cache'] = this.start.cacheHit ? 'hit' : 'miss';
      headers['x-sluice-cache-key'] = this.start.cacheKey;
    }
    return headers;
  }

  private sendBody(json: Buffer): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.reply.hijack();
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'content-length': String(json.length),
      ...this.baseHeaders(),
    };
    // LiteLLM's header, in USD. The router sends usage before the body, so the cost is known here; a
    // stream's headers leave before its cost exists, so streams go without it, as with LiteLLM.
    if (this.usage) headers['x-litellm-response-cost'] = String(nanosToUsd(this.usage.costNanos));
    this.reply.raw.writeHead(200, headers);
    this.reply.raw.end(json);
    this.ended = true;
  }

  private sendStreamHeaders(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.reply.hijack();
    this.reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...this.baseHeaders(),
    });
  }

  private async write(bytes: Buffer): Promise<void> {
    const response = this.reply.raw;
    if (this.ended || response.destroyed) return;
    this.sendStreamHeaders();
    if (!response.write(bytes)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          response.off('drain', done);
          response.off('close', done);
          resolve();
        };
        response.on('drain', done);
        response.on('close', done);
      });
    }
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.reply.raw.end();
  }

  private finishResponse(): void {
    if (this.forward.stream) {
      // Even a stream without any content ends well-formed.
      this.sendStreamHeaders();
      if (this.wire.done) this.reply.raw.write(this.wire.done);
      this.end();
      return;
    }
    if (!this.headersSent) throw new GatewayError('upstream_error', 'The provider sent no response.');
  }

  private fail(error: unknown): void {
    if (this.abortedWith === 'client_closed') {
      this.status = UsageStatus.USAGE_STATUS_CANCELLED;
      this.errorCode = 'client_closed';
      this.httpStatus = 499;
      return;
    }
    const gatewayError =
      this.abortedWith !== undefined
        ? new GatewayError(this.abortedWith)
        : error instanceof GatewayError
          ? error
          : fromGrpcError(error as ServiceError, 'router_unavailable');
    this.status = UsageStatus.USAGE_STATUS_FAILURE;
    this.errorCode = gatewayError.code;
    if (this.headersSent) {
      if (!this.ended) {
        this.reply.raw.write(this.wire.streamError(gatewayError.code, gatewayError.message));
        this.end();
      }
      return;
    }
    this.httpStatus = errorSpec(gatewayError.code).http;
    // Nothing reached the client yet: Fastify's error handler answers with the right status.
    throw gatewayError;
  }

  /** The usage the router reported, or, when the stream was cut before it could, what we counted. */
  private finalUsage(): Usage {
    if (this.usage) return this.usage;
    if (!this.start) return NO_USAGE;
    const promptTokens = this.forward.estimatedPromptTokens;
    const completionTokens = this.contentEvents;
    // The same final-cost function and price the router would have used (a cached answer has none).
    const price = decodePrice(this.start.priceJson);
    const costNanos = finalCostNanos({ promptTokens, completionTokens, cachedTokens: 0, reasoningTokens: 0 }, price);
    return {
      promptTokens,
      completionTokens,
      cachedTokens: 0,
      reasoningTokens: 0,
      cacheCreationTokens: 0,
      costMicros: nanosToRoundedMicros(costNanos),
      estimated: true,
      costNanos,
      priceSource: price?.source ?? '',
      cacheWrite5mTokens: 0,
      cacheWrite1hTokens: 0,
    };
  }

  /** Message contents go on this request's span (message logging on, and the request traced). */
  /** The prompt as logged, made once for the usage event and the trace. */
  private loggedInput(): string {
    this.loggedInputJson ??= loggedInput(this.forward.body);
    return this.loggedInputJson;
  }

  private tracesMessages(): boolean {
    return this.logMessages && this.request.span !== undefined;
  }

  private publishUsage(): void {
    const endTimeMs = Date.now();
    const recordMessages = this.recordMessages;
    const usage = this.finalUsage();
    this.context.publisher.publish(
      buildUsageEvent({
        requestId: this.request.id,
        identity: this.decision.identity,
        callType: this.forward.callTypeName,
        modelGroup: this.decision.modelGroup,
        body: this.forward.body,
        endUser: this.forward.endUser ?? '',
        tags: this.forward.tags ?? [],
        stream: this.forward.stream,
        start: this.start,
        usage,
        startTimeMs: this.request.startedAtMs,
        firstTokenTimeMs: this.firstTokenTimeMs,
        endTimeMs,
        overheadUs: Math.round((this.overheadMs || this.overhead()) * 1000),
        status: this.status,
        errorCode: this.errorCode,
        httpStatus: this.httpStatus,
        messagesJson: recordMessages ? this.loggedInput() : '',
        responseJson: recordMessages && this.responseBody ? this.responseBody.toString('utf8') : '',
        traceparent: this.request.traceparent,
        lease: this.decision.lease
          ? { id: this.decision.lease.id, tokens: this.decision.reservedTokens, costNanos: this.decision.reservedCostNanos }
          : undefined,
      }),
    );
    this.request.observed = true;
    const messages = this.tracesMessages();
    observeRequest(this.context.observability, this.request, {
      route: this.forward.route,
      modelGroup: this.decision.modelGroup,
      status: this.httpStatus,
      errorCode: this.errorCode,
      identity: this.decision.identity,
      start: this.start,
      callType: this.forward.callTypeName,
      stream: this.forward.stream,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      costMicros: usage.costNanos / 1000,
      finishReason: this.finishReason,
      timeToFirstTokenMs: this.firstTokenTimeMs > 0 ? this.firstTokenTimeMs - this.request.startedAtMs : 0,
      overheadMs: this.overheadMs || this.overhead(),
      durationMs: performance.now() - this.request.startedAt,
      ...(messages
        ? {
            inputMessages: this.loggedInput(),
            ...(this.responseBody ? { outputMessages: this.responseBody.toString('utf8') } : {}),
          }
        : {}),
    });
  }
}
