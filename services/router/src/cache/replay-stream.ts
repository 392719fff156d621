import { CallType } from '@sluice/proto';

// A cached non-streaming body told again as the chunks a stream of it would have had: the chat shape
// (role, reasoning, content, refusal, tool calls, finish) or the legacy completion shape, then the
// usage-only chunk when the client asked for it. The whole answer goes out at once: a cached answer has
// no reason to be slow.

type Json = Record<string, unknown>;

interface ChatMessage {
  role?: string;
  content?: string | null;
  refusal?: string | null;
  reasoning_content?: string | null;
  tool_calls?: Array<{ id?: string; type?: string; function?: { name?: string; arguments?: string } }> | null;
}

interface BodyChoice {
  index?: number;
  message?: ChatMessage;
  text?: string;
  logprobs?: unknown;
  finish_reason?: string | null;
}

interface CachedBody {
  id?: string;
  created?: number;
  model?: string;
  system_fingerprint?: string | null;
  service_tier?: string | null;
  choices?: BodyChoice[];
  usage?: Json | null;
}

export interface ReplayedStream {
  /** Chunk payloads (the JSON after `data: `), in order. */
  payloads: string[];
  /** How many of them carry content, as the router counts for a live stream. */
  contentEvents: number;
}

function envelope(body: CachedBody, object: string): Json {
  const head: Json = { id: body.id ?? '', object, created: body.created ?? 0, model: body.model ?? '' };
  if (body.system_fingerprint !== undefined) head.system_fingerprint = body.system_fingerprint;
  if (body.service_tier !== undefined) head.service_tier = body.service_tier;
  return head;
}

function chatChunks(body: CachedBody, head: Json): string[] {
  const payloads: string[] = [];
  const chunk = (index: number, delta: Json, extra: Json = {}) =>
    payloads.push(JSON.stringify({ ...head, choices: [{ index, delta, logprobs: null, finish_reason: null, ...extra }] }));
  for (const [position, choice] of (body.choices ?? []).entries()) {
    const index = choice.index ?? position;
    const message = choice.message ?? {};
    const opening: Json = { role: message.role ?? 'assistant', content: '' };
    if ('refusal' in message) opening.refusal = null;
    chunk(index, opening);
    if (message.reasoning_content) chunk(index, { reasoning_content: message.reasoning_content });
    if (message.content) chunk(index, { content: message.content }, choice.logprobs ? { logprobs: choice.logprobs } : {});
    if (message.refusal) chunk(index, { refusal: message.refusal });
    for (const [callIndex, call] of (message.tool_calls ?? []).entries()) {
      chunk(index, {
        tool_calls: [
          {
            index: callIndex,
            id: call.id ?? '',
            type: call.type ?? 'function',
            function: { name: call.function?.name ?? '', arguments: call.function?.arguments ?? '' },
          },
        ],
      });
    }
    chunk(index, {}, { finish_reason: choice.finish_reason ?? 'stop' });
  }
  return payloads;
}

function completionChunks(body: CachedBody, head: Json): string[] {
  return (body.choices ?? []).map((choice, position) =>
    JSON.stringify({
      ...head,
      choices: [{ text: choice.text ?? '', index: choice.index ?? position, logprobs: choice.logprobs ?? null, finish_reason: choice.finish_reason ?? 'stop' }],
    }),
  );
}

export function replayStream(callType: CallType, bodyJson: Buffer, includeUsage: boolean): ReplayedStream {
  const body = JSON.parse(bodyJson.toString('utf8')) as CachedBody;
  const chat = callType === CallType.CALL_TYPE_CHAT_COMPLETION;
  const head = envelope(body, chat ? 'chat.completion.chunk' : 'text_completion');
  const payloads = chat ? chatChunks(body, head) : completionChunks(body, head);
  const contentEvents = payloads.length;
  if (includeUsage && body.usage) payloads.push(JSON.stringify({ ...head, choices: [], usage: body.usage }));
  return { payloads, contentEvents };
}
