import { Agent, type Dispatcher, errors as undiciErrors, util as undiciUtil } from 'undici';
import { GatewayError } from '@sluice/common';
import type { UpstreamRequest } from '../provider-adapter.js';

// One keep-alive connection pool per provider origin, shared by every request of this process.
//
// Calls go through the dispatcher's handler interface rather than `request()`: the router reads every
// answer whole (non-streaming) or chunk by chunk (streams) and needs neither a Node Readable for the body,
// an async iterator over it, nor an AbortSignal to cancel it. Those were a large share of the router's CPU
// time per request for what is a forwarder. undici still enforces the header and idle timeouts.
const agent = new Agent({
  keepAliveTimeout: 30_000,
  keepAliveMaxTimeout: 600_000,
  connections: 256,
  pipelining: 1,
  connect: { timeout: 5_000 },
});

export interface SendOptions {
  /** Time to the response headers: time to first token for streams, the whole answer otherwise. */
  headersTimeoutMs: number;
  /** Longest silence between two body chunks. */
  idleTimeoutMs: number;
}

/** Chunks queued for a slow reader before the socket is paused (streams only). */
const HIGH_WATER_CHUNKS = 16;

type Headers = Record<string, string | string[] | undefined>;

/**
 * One upstream HTTP exchange: the status once the headers came, then the body either whole
 * (`body()`) or chunk by chunk (`for await`). `abort()` cancels it at any point; whoever waits then
 * rejects with the given error.
 */
export class UpstreamExchange implements Dispatcher.DispatchHandler, AsyncIterable<Buffer> {
  status = 0;
  private rawHeaders: Buffer[] | undefined;
  private parsedHeaders: Headers | undefined;
  private chunks: Buffer[] = [];
  private ended = false;
  private failure: unknown = undefined;
  private abortUpstream: ((error: Error) => void) | undefined;
  private resumeUpstream: (() => void) | undefined;
  private paused = false;
  /** The one pending reader: waiting for the headers (`started`) or for more body. */
  private waiter: { resolve(): void; reject(error: unknown): void } | undefined;
  private waitingForHeaders = false;
  /** Reading the body whole: never pause the socket. */
  private collecting = false;

  /** The response headers (parsed on first use: only failures need them). */
  get headers(): Headers {
    if (!this.parsedHeaders) this.parsedHeaders = this.rawHeaders ? (undiciUtil.parseHeaders(this.rawHeaders) as Headers) : {};
    return this.parsedHeaders;
  }

  /** Cancels the exchange unless it is over; a pending or later read rejects with `error`. */
  abort(error?: Error): void {
    if (this.failure !== undefined || this.ended) return;
    const reason = error ?? new undiciErrors.RequestAbortedError();
    this.failure = reason;
    this.abortUpstream?.(reason);
    this.wake();
  }

  /** Resolves once the status and headers are in. */
  started(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.status !== 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waitingForHeaders = true;
      this.waiter = { resolve, reject };
    });
  }

  /** The whole body, once it ended. */
  async body(): Promise<Buffer> {
    this.collecting = true;
    if (this.paused) {
      this.paused = false;
      this.resumeUpstream?.();
    }
    while (!this.ended) {
      if (this.failure !== undefined) throw this.failure;
      await this.more();
    }
    const chunks = this.chunks;
    this.chunks = [];
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    try {
      for (;;) {
        if (this.chunks.length > 0) {
          const chunks = this.chunks;
          this.chunks = [];
          if (this.paused) {
            this.paused = false;
            this.resumeUpstream?.();
          }
          for (const chunk of chunks) yield chunk;
          continue;
        }
        if (this.ended) return;
        if (this.failure !== undefined) throw this.failure;
        await this.more();
      }
    } finally {
      // A reader that stops early (the client went away, a mapping error) leaves nothing running.
      this.abort();
    }
  }

  private more(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waitingForHeaders = false;
      this.waiter = { resolve, reject };
    });
  }

  private wake(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = undefined;
    if (this.failure !== undefined) waiter.reject(this.failure);
    else waiter.resolve();
  }

  // undici's dispatch handler (the form its core calls directly, without an adapter in between).

  onConnect(abort: (error?: Error) => void): void {
    if (this.failure !== undefined) abort(this.failure as Error);
    else this.abortUpstream = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true;
    this.status = statusCode;
    this.rawHeaders = rawHeaders;
    this.resumeUpstream = resume;
    if (this.waitingForHeaders) this.wake();
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    if (this.waiter && !this.waitingForHeaders) this.wake();
    if (!this.collecting && this.chunks.length >= HIGH_WATER_CHUNKS) {
      this.paused = true;
      return false;
    }
    return true;
  }

  onComplete(): void {
    this.ended = true;
    this.abortUpstream = undefined;
    this.wake();
  }

  onError(error: Error): void {
    if (this.ended) return;
    this.abortUpstream = undefined;
    if (this.failure === undefined) this.failure = error;
    this.wake();
  }
}

/** Sends a request; read the answer from the returned exchange. */
export function sendUpstream(request: UpstreamRequest, options: SendOptions): UpstreamExchange {
  const exchange = new UpstreamExchange();
  try {
    agent.dispatch(
      {
        origin: request.origin,
        path: request.path,
        method: request.method,
        headers: request.headers,
        body: request.body ?? null,
        headersTimeout: options.headersTimeoutMs,
        bodyTimeout: options.idleTimeoutMs,
      },
      exchange,
    );
  } catch (error) {
    exchange.onError(error as Error);
  }
  return exchange;
}

/** Maps a transport failure to the error table; a client abort passes through untouched. */
export function toUpstreamError(error: unknown): unknown {
  if (error instanceof GatewayError) return error;
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
    return new GatewayError('upstream_timeout');
  }
  if (error instanceof undiciErrors.ConnectTimeoutError) {
    return new GatewayError('upstream_connection_error', 'Timed out connecting to the provider.');
  }
  if (error instanceof undiciErrors.RequestAbortedError || (error as Error | undefined)?.name === 'AbortError') {
    return error;
  }
  return new GatewayError('upstream_connection_error');
}

export async function closeUpstreamClient(): Promise<void> {
  await agent.close();
}
