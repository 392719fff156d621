import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { frameSse, loadJsonFixture, loadStreamPayloads } from './fixtures.js';

// A local HTTP server standing in for an LLM provider: it records every request and answers with what a
// test tells it to, including the faults real providers have (errors, 429 with Retry-After, hangs,
// connections dropped mid-stream).

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON when the body is JSON, else the raw text. */
  body: unknown;
  /** The body's bytes as they arrived. */
  raw: Buffer;
}

export interface FakeResponse {
  status?: number;
  headers?: Record<string, string>;
  /** A JSON body. */
  json?: unknown;
  /** A raw body. */
  body?: string | Buffer;
  /** SSE payloads, framed `data: ...\n\n` (OpenAI/Gemini style). */
  sse?: string[];
  /** Pre-framed stream pieces, written one by one (any framing). */
  pieces?: Array<string | Buffer>;
  /** Append `data: [DONE]` after `sse` (default true). */
  done?: boolean;
  /** Wait before sending the headers. */
  delayMs?: number;
  /** Wait between stream pieces. */
  pieceDelayMs?: number;
  /** Destroy the connection after this many stream pieces. */
  dropAfter?: number;
  /** Never answer. */
  hang?: boolean;
}

export type Responder = (request: RecordedRequest, index: number) => FakeResponse | Promise<FakeResponse>;

export interface FakeProvider {
  url: string;
  requests: RecordedRequest[];
  respondWith(responder: Responder): void;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startFakeProvider(responder: Responder): Promise<FakeProvider> {
  let current = responder;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(parts);
        const text = raw.toString('utf8');
        let body: unknown = text;
        try {
          body = text === '' ? undefined : JSON.parse(text);
        } catch {
          // Not JSON: keep the text.
        }
        const recorded: RecordedRequest = { method: request.method ?? '', path: request.url ?? '', headers: request.headers, body, raw };
        requests.push(recorded);
        const plan = await current(recorded, requests.length - 1);
        if (plan.hang) return;
        if (plan.delayMs) await sleep(plan.delayMs);
        const pieces = plan.pieces ?? (plan.sse ? [frameSse(plan.sse, plan.done ?? true)] : undefined);
        if (pieces) {
          // One piece per event when streaming SSE, so delays and drops happen between events.
          const split = plan.sse && !plan.pieces ? plan.sse.map((payload) => `data: ${payload}\n\n`).concat(plan.done === false ? [] : ['data: [DONE]\n\n']) : pieces;
          response.writeHead(plan.status ?? 200, { 'content-type': 'text/event-stream', ...plan.headers });
          for (const [index, piece] of split.entries()) {
            if (plan.dropAfter !== undefined && index >= plan.dropAfter) {
              response.socket?.destroy();
              return;
            }
            if (response.destroyed) return;
            response.write(piece);
            if (plan.pieceDelayMs) await sleep(plan.pieceDelayMs);
          }
          response.end();
          return;
        }
        const payload = plan.json !== undefined ? JSON.stringify(plan.json) : (plan.body ?? '');
        response.writeHead(plan.status ?? 200, {
          'content-type': plan.json !== undefined ? 'application/json' : 'text/plain',
          ...plan.headers,
        });
        response.end(payload);
      })();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respondWith(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Replays a recorded OpenAI chat fixture: the stream for `stream: true`, the JSON body otherwise. */
export function replayOpenAiFixture(name: string, folder = 'vercel-ai'): Responder {
  const payloads = loadStreamPayloads(folder, `${name}`);
  const json = loadJsonFixture(folder, name);
  return (request) => {
    const stream = (request.body as { stream?: boolean } | undefined)?.stream === true;
    return stream ? { sse: payloads } : { json };
  };
}
