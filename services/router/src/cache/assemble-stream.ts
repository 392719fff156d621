import { CallType } from '@sluice/proto';
import type { TokenUsage } from '../providers/provider-adapter.js';
import { openAiUsage } from '../providers/shared/openai-chunk-writer.js';

// A streamed answer put back together as the non-streaming body OpenAI would have sent for it, so one
// cached form serves both kinds of request. Only the stored copy is built this way, after the client has
// its answer.

type Json = Record<string, unknown>;

interface ToolCallDelta {
  index?: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

interface ChatDelta {
  role?: string;
  content?: string | null;
  refusal?: string | null;
  reasoning_content?: string | null;
  tool_calls?: ToolCallDelta[] | null;
}

interface LogprobLists {
  [list: string]: unknown[] | null | undefined;
}

interface StreamChoice {
  index?: number;
  delta?: ChatDelta;
  text?: string;
  logprobs?: LogprobLists | null;
  finish_reason?: string | null;
}

interface StreamChunk {
  id?: string;
  created?: number;
  model?: string;
  system_fingerprint?: string | null;
  service_tier?: string | null;
  choices?: StreamChoice[];
  usage?: Json | null;
}

/** The JSON payloads of SSE events framed `data: ...\n\n`, without `[DONE]`. */
export function ssePayloads(sse: Buffer[]): string[] {
  const payloads: string[] = [];
  for (const event of Buffer.concat(sse).toString('utf8').split('\n\n')) {
    if (!event.startsWith('data: ')) continue;
    const data = event.slice('data: '.length);
    if (data !== '[DONE]') payloads.push(data);
  }
  return payloads;
}

interface ChoiceState {
  index: number;
  role: string;
  content: string | undefined;
  refusal: string | null | undefined;
  reasoning: string | undefined;
  text: string;
  toolCalls: Map<number, { id: string; type: string; name: string; arguments: string }>;
  logprobs: LogprobLists | null;
  finishReason: string | null;
}

function newChoice(index: number): ChoiceState {
  return {
    index,
    role: 'assistant',
    content: undefined,
    refusal: undefined,
    reasoning: undefined,
    text: '',
    toolCalls: new Map(),
    logprobs: null,
    finishReason: null,
  };
}

/** Chat logprobs (`content`, `refusal`) and legacy completion logprobs (`tokens`, ...) are lists per chunk. */
function appendLogprobs(state: ChoiceState, logprobs: LogprobLists | null | undefined): void {
  if (!logprobs) return;
  state.logprobs ??= {};
  for (const [list, values] of Object.entries(logprobs)) {
    if (!Array.isArray(values)) {
      if (!(list in state.logprobs)) state.logprobs[list] = values ?? null;
      continue;
    }
    const current = state.logprobs[list];
    state.logprobs[list] = Array.isArray(current) ? current.concat(values) : [...values];
  }
}

function applyDelta(state: ChoiceState, delta: ChatDelta): void {
  if (delta.role) state.role = delta.role;
  if (typeof delta.content === 'string') state.content = (state.content ?? '') + delta.content;
  if (typeof delta.reasoning_content === 'string') state.reasoning = (state.reasoning ?? '') + delta.reasoning_content;
  if ('refusal' in delta) {
    if (typeof delta.refusal === 'string') state.refusal = (state.refusal ?? '') + delta.refusal;
    else state.refusal ??= null;
  }
  for (const call of delta.tool_calls ?? []) {
    const index = call.index ?? state.toolCalls.size;
    let assembled = state.toolCalls.get(index);
    if (!assembled) {
      assembled = { id: '', type: 'function', name: '', arguments: '' };
      state.toolCalls.set(index, assembled);
    }
    if (call.id) assembled.id = call.id;
    if (call.type) assembled.type = call.type;
    if (call.function?.name) assembled.name += call.function.name;
    if (call.function?.arguments) assembled.arguments += call.function.arguments;
  }
}

function chatChoice(state: ChoiceState): Json {
  const message: Json = { role: state.role, content: state.content ?? null };
  // With tool calls and no text, OpenAI's message content is null, not "".
  if (state.toolCalls.size > 0 && state.content === '') message.content = null;
  if (state.refusal !== undefined) message.refusal = state.refusal;
  if (state.reasoning !== undefined) message.reasoning_content = state.reasoning;
  if (state.toolCalls.size > 0) {
    message.tool_calls = [...state.toolCalls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, call]) => ({ id: call.id, type: call.type, function: { name: call.name, arguments: call.arguments } }));
  }
  return { index: state.index, message, logprobs: state.logprobs, finish_reason: state.finishReason };
}

function textChoice(state: ChoiceState): Json {
  return { text: state.text, index: state.index, logprobs: state.logprobs, finish_reason: state.finishReason };
}

/**
 * The chat.completion (or text_completion) body for a stream of chunk payloads. Usage comes from the
 * stream's own usage chunk when it carried one, else from what the router counted.
 */
export function assembleStream(callType: CallType, payloads: readonly string[], usage: TokenUsage | undefined): Buffer {
  const choices = new Map<number, ChoiceState>();
  const envelope: Json = {};
  let streamUsage: Json | undefined;
  for (const payload of payloads) {
    const chunk = JSON.parse(payload) as StreamChunk;
    // Azure opens with a chunk whose id is empty; the envelope is the first real one.
    if (envelope.id === undefined && chunk.id) {
      envelope.id = chunk.id;
      envelope.created = chunk.created;
      envelope.model = chunk.model;
      if (chunk.system_fingerprint !== undefined) envelope.system_fingerprint = chunk.system_fingerprint;
      if (chunk.service_tier !== undefined) envelope.service_tier = chunk.service_tier;
    }
    if (chunk.usage) streamUsage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      const index = choice.index ?? 0;
      let state = choices.get(index);
      if (!state) {
        state = newChoice(index);
        choices.set(index, state);
      }
      if (choice.delta) applyDelta(state, choice.delta);
      if (typeof choice.text === 'string') state.text += choice.text;
      appendLogprobs(state, choice.logprobs);
      if (choice.finish_reason) state.finishReason = choice.finish_reason;
    }
  }
  const chat = callType === CallType.CALL_TYPE_CHAT_COMPLETION;
  const ordered = [...choices.values()].sort((a, b) => a.index - b.index);
  const body: Json = {
    id: envelope.id ?? '',
    object: chat ? 'chat.completion' : 'text_completion',
    created: envelope.created ?? 0,
    model: envelope.model ?? '',
    choices: ordered.map(chat ? chatChoice : textChoice),
  };
  if (envelope.system_fingerprint !== undefined) body.system_fingerprint = envelope.system_fingerprint;
  if (envelope.service_tier !== undefined) body.service_tier = envelope.service_tier;
  const finalUsage = streamUsage ?? (usage ? openAiUsage(usage) : undefined);
  if (finalUsage) body.usage = finalUsage;
  return Buffer.from(JSON.stringify(body));
}
