import type { AdapterContext, TokenUsage } from '../provider-adapter.js';
import { type OutputItem, responseObject, responseStatus } from './response-object.js';

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

/** A chat.completion body → a Responses `response`, as a deployment without the Responses API answers. */
export function chatToResponseBody(context: AdapterContext, chatBody: Buffer, usage: TokenUsage | undefined): Buffer {
  const chat = JSON.parse(chatBody.toString('utf8')) as ChatCompletion;
  const choice = chat.choices?.[0];
  const message = choice?.message;
  const id = context.requestId.replaceAll('-', '');
  const output: OutputItem[] = [];
  if (message?.reasoning_content) output.push({ type: 'reasoning', id: `rs_${id}`, summary: [{ type: 'summary_text', text: message.reasoning_content }] });
  if (message?.content) {
    output.push({ type: 'message', id: `msg_${id}`, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: message.content, annotations: [] }] });
  }
  for (const [index, call] of (message?.tool_calls ?? []).entries()) {
    output.push({ type: 'function_call', id: `fc_${id}_${index}`, call_id: call.id ?? '', name: call.function?.name ?? '', arguments: call.function?.arguments ?? '', status: 'completed' });
  }
  return Buffer.from(JSON.stringify(responseObject(context, { ...responseStatus(choice?.finish_reason), output, usage })));
}
