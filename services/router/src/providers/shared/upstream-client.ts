import { Agent, errors as undiciErrors } from 'undici';
import { GatewayError } from '@sluice/common';
import type { UpstreamRequest } from '../provider-adapter.js';

// One keep-alive connection pool per provider origin, shared by every request of this process. undici's
// request API is several times cheaper than fetch and gives us per-request header and idle timeouts.
const agent = new Agent({
  keepAliveTimeout: 30_000,
  keepAliveMaxTimeout: 600_000,
  connections: 256,
  pipelining: 1,
  connect: { timeout: 5_000 },
});

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Buffer> & { text(): Promise<string>; arrayBuffer(): Promise<ArrayBuffer>; destroy(error?: Error): void };
}

export interface SendOptions {
  signal: AbortSignal;
  /** Time to the response headers: time to first token for streams, the whole answer otherwise. */
  headersTimeoutMs: number;
  /** Longest silence between two body chunks. */
  idleTimeoutMs: number;
}

export async function sendUpstream(request: UpstreamRequest, options: SendOptions): Promise<UpstreamResponse> {
  try {
    const response = await agent.request({
      origin: request.origin,
      path: request.path,
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: options.signal,
      headersTimeout: options.headersTimeoutMs,
      bodyTimeout: options.idleTimeoutMs,
    });
    return { status: response.statusCode, headers: response.headers, body: response.body as UpstreamResponse['body'] };
  } catch (error) {
    throw toUpstreamError(error);
  }
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
