import type { AdapterContext, ParsedResponse } from '../provider-adapter.js';
import { type AssembledToolCall, chatCompletionBody } from '../shared/chat-completion-body.js';
import { type AnthropicUsage, readAnthropicUsage } from './anthropic-usage.js';
import { mapAnthropicFinishReason } from './map-anthropic-finish-reason.js';

interface AnthropicResponse {
  content?: Array<{ type: string; text?: string; thinking?: string; id?: string; name?: string; input?: unknown }>;
  stop_reason?: string | null;
  usage?: AnthropicUsage;
}

/** A non-streaming Anthropic Messages answer → an OpenAI chat.completion. */
export function parseAnthropicResponse(context: AdapterContext, raw: Buffer): ParsedResponse {
  const response = JSON.parse(raw.toString('utf8')) as AnthropicResponse;
  let text = '';
  let reasoning = '';
  const toolCalls: AssembledToolCall[] = [];
  for (const block of response.content ?? []) {
    if (block.type === 'text' && block.text) text += block.text;
    else if (block.type === 'thinking' && block.thinking) reasoning += block.thinking;
    else if (block.type === 'tool_use') {
      toolCalls.push({ id: block.id ?? '', name: block.name ?? '', argumentsJson: JSON.stringify(block.input ?? {}) });
    }
  }
  const finishReason = mapAnthropicFinishReason(response.stop_reason);
  const usage = response.usage ? readAnthropicUsage(response.usage) : undefined;
  const body = chatCompletionBody(context, {
    content: text === '' && toolCalls.length > 0 ? null : text,
    reasoning: reasoning || undefined,
    toolCalls,
    finishReason,
    usage,
  });
  return { body, usage, finishReason };
}

/** A non-streaming Anthropic answer for a Messages client: the body as it came, its usage read. */
export function parseAnthropicNativeResponse(raw: Buffer): ParsedResponse {
  const response = JSON.parse(raw.toString('utf8')) as AnthropicResponse;
  return {
    body: raw,
    usage: response.usage ? readAnthropicUsage(response.usage) : undefined,
    finishReason: mapAnthropicFinishReason(response.stop_reason),
  };
}
