import type { Logger } from '@sluice/common';
import type { CompletePart, CompleteRequest } from '@sluice/proto';
import { responsesInputMessages } from '../providers/inbound/responses-to-chat-request.js';
import type { ChatMessage, ResponseStore } from './response-store.js';

const TERMINAL = /^event: response\.(completed|incomplete)\ndata: (.*)$/m;

/** The response object in a finished answer: the body, or the data of a stream's terminal event. */
function finalResponse(body: Buffer | undefined, tail: string): { id?: string; output?: unknown[]; status?: string } | undefined {
  try {
    if (body) return JSON.parse(body.toString('utf8')) as { id?: string; output?: unknown[] };
    const match = TERMINAL.exec(tail);
    return match ? (JSON.parse(match[2]!) as { response?: { id?: string; output?: unknown[] } }).response : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Passes a Responses call's parts through unchanged and, once the answer is complete, stores it under the
 * caller's key with the conversation so far (history, this input, this output) as chat messages. The
 * write happens after the last part went out: the client never waits for it, and a failed write only
 * costs the follow-up (logged).
 */
export async function* recordStoredResponse(
  parts: AsyncIterable<CompletePart>,
  request: CompleteRequest,
  body: Record<string, unknown>,
  history: ChatMessage[],
  store: ResponseStore,
  logger: Logger,
): AsyncGenerator<CompletePart> {
  let answer: Buffer | undefined;
  let tail = '';
  let failed = false;
  let deploymentId: string | undefined;
  for await (const part of parts) {
    const value = part.part;
    // A cached answer was made for another response id: no provider knows this one.
    if (value?.$case === 'start') deploymentId = value.start.cacheHit ? undefined : value.start.deploymentId;
    else if (value?.$case === 'body') answer = value.body.json;
    else if (value?.$case === 'chunk') {
      // Only the chunk with the terminal event is kept: it carries the whole response.
      const sse = value.chunk.sse.toString('utf8');
      if (sse.includes('event: response.completed') || sse.includes('event: response.incomplete')) tail = sse;
    } else if (value?.$case === 'error' || value?.$case === 'failure') failed = true;
    yield part;
  }
  if (failed) return;
  const response = finalResponse(answer, tail);
  if (!response?.id) return;
  const conversation = [...history, ...responsesInputMessages(body.input), ...responsesInputMessages(response.output ?? [], true)];
  const serialized = answer ? answer.toString('utf8') : JSON.stringify(response);
  void store
    .save({ id: response.id, owner: request.owner, modelGroup: request.modelGroup, response: serialized, conversation, deploymentId })
    .catch((error: unknown) => logger.warn({ err: error, requestId: request.requestId }, 'could not store the response'));
}
