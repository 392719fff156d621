import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// The provider for every benchmark: an OpenAI-compatible server that answers as fast as Node can (or after
// a fixed delay), so what is measured is the gateway, not the model. Bodies are built once.

export const STREAM_CHUNKS = 20;
const PROMPT_TOKENS = 12;

function chunk(index: number, content: string | undefined, finish: string | null, usage: object | null): string {
  const delta = index === 0 ? { role: 'assistant', content: '' } : content === undefined ? {} : { content };
  return JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'gpt-4o-mini',
    system_fingerprint: null,
    choices: usage ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    usage,
  });
}

const words = Array.from({ length: STREAM_CHUNKS - 2 }, (_, index) => ` word${index}`);
const STREAM_EVENTS = [
  chunk(0, undefined, null, null),
  ...words.map((word, index) => chunk(index + 1, word, null, null)),
  chunk(STREAM_CHUNKS - 1, undefined, 'stop', null),
].map((payload) => Buffer.from(`data: ${payload}\n\n`));
const USAGE_EVENT = Buffer.from(
  `data: ${chunk(0, undefined, null, { prompt_tokens: PROMPT_TOKENS, completion_tokens: words.length, total_tokens: PROMPT_TOKENS + words.length })}\n\ndata: [DONE]\n\n`,
);
const DONE_EVENT = Buffer.from('data: [DONE]\n\n');

const BODY = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content: words.join('').trim() }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: PROMPT_TOKENS, completion_tokens: words.length, total_tokens: PROMPT_TOKENS + words.length },
    system_fingerprint: null,
  }),
);

export interface MockUpstream {
  port: number;
  close(): Promise<void>;
}

export async function startMockUpstream(latencyMs = 0, port = 0): Promise<MockUpstream> {
  const server: Server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      // Substring checks keep the mock's own cost flat; the bench controls the bodies.
      const stream = text.includes('"stream":true');
      const wantsUsage = text.includes('"include_usage":true');
      const answer = () => {
        if (!stream) {
          response.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
          response.end(BODY);
          return;
        }
        response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        for (const event of STREAM_EVENTS) response.write(event);
        response.end(wantsUsage ? USAGE_EVENT : DONE_EVENT);
      };
      if (latencyMs > 0) setTimeout(answer, latencyMs);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
