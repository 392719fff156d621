import type { AdapterContext, DecodedEvent, StreamMapper } from '../provider-adapter.js';
import { type OutputItem, responseObject, responseStatus } from './response-object.js';

interface ChatChunk {
  choices?: Array<{
    delta?: {
      content?: string | null;
      reasoning_content?: string | null;
      tool_calls?: Array<{ index?: number; id?: string; function?: { name?: string; arguments?: string } }> | null;
    };
    finish_reason?: string | null;
  }>;
}

interface OpenItem {
  kind: 'message' | 'function_call' | 'reasoning';
  outputIndex: number;
  id: string;
  toolIndex: number;
  text: string;
  callId: string;
  name: string;
}

/**
 * Chat chunks (from a translating adapter or an OpenAI-compatible server) → the Responses API's stream
 * events: response.created and response.in_progress before the first content, one output item per run
 * of text, reasoning or tool call (added, its deltas, done), and response.completed (or
 * response.incomplete) with every item and the usage once the upstream stream has ended.
 */
export function createChatToResponsesStreamMapper(context: AdapterContext, inner: StreamMapper): StreamMapper {
  const idBase = context.requestId.replaceAll('-', '');
  let sequence = 0;
  let started = false;
  let closed = false;
  let open: OpenItem | undefined;
  let finishReason: string | null | undefined;
  const output: OutputItem[] = [];

  const emit = (out: string[], type: string, payload: Record<string, unknown>) => {
    out.push(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence, ...payload })}\n\n`);
    sequence += 1;
  };
  const start = (out: string[]) => {
    if (started) return;
    started = true;
    const response = responseObject(context, { status: 'in_progress', output: [], usage: undefined });
    emit(out, 'response.created', { response });
    emit(out, 'response.in_progress', { response });
  };
  const closeItem = (out: string[]) => {
    if (!open) return;
    const { outputIndex: output_index, id: item_id, text } = open;
    let item: OutputItem;
    if (open.kind === 'message') {
      const part = { type: 'output_text', text, annotations: [] };
      emit(out, 'response.output_text.done', { item_id, output_index, content_index: 0, text, logprobs: [] });
      emit(out, 'response.content_part.done', { item_id, output_index, content_index: 0, part });
      item = { id: item_id, type: 'message', status: 'completed', role: 'assistant', content: [part] };
    } else if (open.kind === 'reasoning') {
      const part = { type: 'summary_text', text };
      emit(out, 'response.reasoning_summary_text.done', { item_id, output_index, summary_index: 0, text });
      emit(out, 'response.reasoning_summary_part.done', { item_id, output_index, summary_index: 0, part });
      item = { id: item_id, type: 'reasoning', summary: [part] };
    } else {
      emit(out, 'response.function_call_arguments.done', { item_id, output_index, arguments: text });
      item = { id: item_id, type: 'function_call', status: 'completed', call_id: open.callId, name: open.name, arguments: text };
    }
    emit(out, 'response.output_item.done', { output_index, item });
    output.push(item);
    open = undefined;
  };
  const openItem = (out: string[], kind: OpenItem['kind'], toolIndex = -1, callId = '', name = '') => {
    closeItem(out);
    const outputIndex = output.length;
    const prefix = kind === 'message' ? 'msg' : kind === 'reasoning' ? 'rs' : 'fc';
    const item_id = `${prefix}_${idBase}_${outputIndex}`;
    open = { kind, outputIndex, id: item_id, toolIndex, text: '', callId, name };
    if (kind === 'message') {
      emit(out, 'response.output_item.added', { output_index: outputIndex, item: { id: item_id, type: 'message', status: 'in_progress', role: 'assistant', content: [] } });
      emit(out, 'response.content_part.added', { item_id, output_index: outputIndex, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
    } else if (kind === 'reasoning') {
      emit(out, 'response.output_item.added', { output_index: outputIndex, item: { id: item_id, type: 'reasoning', summary: [] } });
      emit(out, 'response.reasoning_summary_part.added', { item_id, output_index: outputIndex, summary_index: 0, part: { type: 'summary_text', text: '' } });
    } else {
      emit(out, 'response.output_item.added', {
        output_index: outputIndex,
        item: { id: item_id, type: 'function_call', status: 'in_progress', call_id: callId, name, arguments: '' },
      });
    }
  };
  const translate = (payload: string, out: string[]) => {
    const choice = (JSON.parse(payload) as ChatChunk).choices?.[0];
    if (!choice) return;
    start(out);
    const delta = choice.delta;
    if (delta?.reasoning_content) {
      if (open?.kind !== 'reasoning') openItem(out, 'reasoning');
      open!.text += delta.reasoning_content;
      emit(out, 'response.reasoning_summary_text.delta', { item_id: open!.id, output_index: open!.outputIndex, summary_index: 0, delta: delta.reasoning_content });
    }
    if (delta?.content) {
      if (open?.kind !== 'message') openItem(out, 'message');
      open!.text += delta.content;
      emit(out, 'response.output_text.delta', { item_id: open!.id, output_index: open!.outputIndex, content_index: 0, delta: delta.content, logprobs: [] });
    }
    for (const call of delta?.tool_calls ?? []) {
      const toolIndex = call.index ?? 0;
      if (open?.kind !== 'function_call' || open.toolIndex !== toolIndex) {
        openItem(out, 'function_call', toolIndex, call.id ?? `call_${idBase}_${toolIndex}`, call.function?.name ?? '');
      }
      const args = call.function?.arguments;
      if (args) {
        open!.text += args;
        emit(out, 'response.function_call_arguments.delta', { item_id: open!.id, output_index: open!.outputIndex, delta: args });
      }
    }
    if (choice.finish_reason) finishReason = choice.finish_reason;
  };

  return {
    framed: true,
    map(event: DecodedEvent): string[] {
      const out: string[] = [];
      for (const payload of inner.map(event)) translate(payload, out);
      return out;
    },
    finish(): string[] {
      const out: string[] = [];
      for (const payload of inner.finish()) translate(payload, out);
      if (closed || !inner.done) return out;
      closed = true;
      start(out);
      closeItem(out);
      const status = responseStatus(finishReason ?? inner.finishReason());
      const response = responseObject(context, { ...status, output, usage: inner.usage() });
      emit(out, status.status === 'completed' ? 'response.completed' : 'response.incomplete', { response });
      return out;
    },
    get done() {
      return closed;
    },
    usage: () => inner.usage(),
    finishReason: () => inner.finishReason(),
    get contentChunks() {
      return inner.contentChunks;
    },
  };
}
