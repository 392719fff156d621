import { performance } from 'node:perf_hooks';
import { CallType } from '@sluice/proto';
import { type AdapterContext, createSseDecoder, providerFor } from '@sluice/router';
import { frameSse, loadStreamPayloads, splitBytes } from '@sluice/testing';

/**
 * The router's per-chunk work on a recorded OpenAI stream (decode SSE, map to the client's chunks,
 * frame), fed in network-sized pieces: microseconds per upstream chunk.
 */
export function measureRouterTranslation(iterations: number): number {
  const payloads = loadStreamPayloads('vercel-ai', 'openai__chat__openai-text');
  const pieces = splitBytes(Buffer.from(frameSse(payloads)), 1400);
  const entry = providerFor('openai')!;
  const context: AdapterContext = {
    requestId: 'bench',
    callType: CallType.CALL_TYPE_CHAT_COMPLETION,
    stream: true,
    includeUsage: true,
    dropParams: false,
    dropped: [],
    body: {},
    createdSeconds: 1_700_000_000,
    deployment: { id: 'd', modelGroup: 'm', provider: 'openai', model: 'gpt', apiBase: 'http://127.0.0.1', apiBaseHost: '127.0.0.1', apiKey: undefined, params: { model: 'openai/gpt' }, info: {} },
  };
  let chunks = 0;
  let sink = 0;
  const run = () => {
    const decoder = createSseDecoder();
    const mapper = entry.adapter.createStreamMapper(context);
    for (const piece of pieces) {
      let sse = '';
      for (const event of decoder.push(piece)) for (const payload of mapper.map(event)) sse += `data: ${payload}\n\n`;
      sink += Buffer.byteLength(sse);
    }
    chunks += payloads.length;
  };
  for (let index = 0; index < Math.min(iterations, 20); index += 1) run();
  chunks = 0;
  const start = performance.now();
  for (let index = 0; index < iterations; index += 1) run();
  const elapsedUs = (performance.now() - start) * 1000;
  if (sink === 0) throw new Error('translation produced nothing');
  return elapsedUs / chunks;
}
