import type { AdapterContext, DecodedEvent, StreamMapper } from '../provider-adapter.js';
import { anthropicStopReason, anthropicUsageOf } from './anthropic-stop-reason.js';

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

type BlockKind = 'text' | 'thinking' | 'tool';

const frame = (type: string, payload: Record<string, unknown>): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`;

/**
 * Chat chunks from a translating adapter (or an OpenAI-compatible provider) → Anthropic Messages
 * events for a Messages client: message_start before the first content, one content block per run of
 * text, thinking or tool call, message_delta with the final usage and stop reason, message_stop. The
 * closing events go out when the upstream stream has ended, because some providers report usage after
 * their finish event.
 */
export function createChatToAnthropicStreamMapper(context: AdapterContext, inner: StreamMapper): StreamMapper {
  let started = false;
  let closed = false;
  let blockIndex = -1;
  let open: { kind: BlockKind; toolIndex: number } | undefined;
  let finishReason: string | null | undefined;
  const model = typeof context.body.model === 'string' ? context.body.model : context.deployment.model;

  const start = (out: string[]) => {
    if (started) return;
    started = true;
    out.push(
      frame('message_start', {
        message: {
          id: `msg_${context.requestId}`,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 0, output_tokens: 0 },
        },
      }),
    );
  };
  const closeBlock = (out: string[]) => {
    if (!open) return;
    out.push(frame('content_block_stop', { index: blockIndex }));
    open = undefined;
  };
  const openBlock = (out: string[], kind: BlockKind, block: Record<string, unknown>, toolIndex = -1) => {
    closeBlock(out);
    blockIndex += 1;
    open = { kind, toolIndex };
    out.push(frame('content_block_start', { index: blockIndex, content_block: block }));
  };
  const translate = (payload: string, out: string[]) => {
    const chunk = JSON.parse(payload) as ChatChunk;
    const choice = chunk.choices?.[0];
    if (!choice) return;
    start(out);
    const delta = choice.delta;
    if (delta?.reasoning_content) {
      if (open?.kind !== 'thinking') openBlock(out, 'thinking', { type: 'thinking', thinking: '', signature: '' });
      out.push(frame('content_block_delta', { index: blockIndex, delta: { type: 'thinking_delta', thinking: delta.reasoning_content } }));
    }
    if (delta?.content) {
      if (open?.kind !== 'text') openBlock(out, 'text', { type: 'text', text: '' });
      out.push(frame('content_block_delta', { index: blockIndex, delta: { type: 'text_delta', text: delta.content } }));
    }
    for (const call of delta?.tool_calls ?? []) {
      const toolIndex = call.index ?? 0;
      if (open?.kind !== 'tool' || open.toolIndex !== toolIndex) {
        openBlock(out, 'tool', { type: 'tool_use', id: call.id ?? `toolu_${context.requestId}_${toolIndex}`, name: call.function?.name ?? '', input: {} }, toolIndex);
      }
      const args = call.function?.arguments;
      if (args) out.push(frame('content_block_delta', { index: blockIndex, delta: { type: 'input_json_delta', partial_json: args } }));
    }
    if (choice.finish_reason) finishReason = choice.finish_reason;
  };
  const close = (out: string[]) => {
    if (closed || !inner.done) return;
    closed = true;
    start(out);
    closeBlock(out);
    const usage = anthropicUsageOf(inner.usage());
    out.push(frame('message_delta', { delta: { stop_reason: anthropicStopReason(finishReason ?? inner.finishReason()), stop_sequence: null }, usage }));
    out.push(frame('message_stop', {}));
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
      close(out);
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
