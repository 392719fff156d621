import type { AdapterContext, TokenUsage } from '../provider-adapter.js';
import { anthropicStopReason, anthropicUsageOf } from './anthropic-stop-reason.js';

interface ChatCompletion {
  choices?: Array<{
    message?: {
      content?: string | null;
      reasoning_content?: string | null;
      tool_calls?: Array<{ id?: string; function?: { name?: string; arguments?: string } }> | null;
    };
    finish_reason?: string | null;
  }>;
}

function parseInput(argumentsJson: string | undefined): unknown {
  if (!argumentsJson) return {};
  try {
    return JSON.parse(argumentsJson) as unknown;
  } catch {
    // A model that wrote broken JSON: the client still gets what it wrote.
    return { _raw: argumentsJson };
  }
}

/** A chat.completion body → an Anthropic Messages response, as a non-Anthropic deployment answers a Messages client. */
export function chatToAnthropicMessage(context: AdapterContext, chatBody: Buffer, usage: TokenUsage | undefined): Buffer {
  const chat = JSON.parse(chatBody.toString('utf8')) as ChatCompletion;
  const choice = chat.choices?.[0];
  const content: Array<Record<string, unknown>> = [];
  const message = choice?.message;
  if (message?.reasoning_content) content.push({ type: 'thinking', thinking: message.reasoning_content, signature: '' });
  if (message?.content) content.push({ type: 'text', text: message.content });
  for (const call of message?.tool_calls ?? []) {
    content.push({ type: 'tool_use', id: call.id ?? '', name: call.function?.name ?? '', input: parseInput(call.function?.arguments) });
  }
  return Buffer.from(
    JSON.stringify({
      id: `msg_${context.requestId}`,
      type: 'message',
      role: 'assistant',
      model: typeof context.body.model === 'string' ? context.body.model : context.deployment.model,
      content,
      stop_reason: anthropicStopReason(choice?.finish_reason),
      stop_sequence: null,
      usage: anthropicUsageOf(usage),
    }),
  );
}
