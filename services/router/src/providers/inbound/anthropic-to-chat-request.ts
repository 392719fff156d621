import { GatewayError } from '@sluice/common';

// An Anthropic Messages request → an OpenAI chat completion request, for deployments that do not speak
// Messages. What has no chat equivalent is dropped (cache_control, top_k, thinking, signatures): the
// provider could not act on it anyway.

type Block = Record<string, unknown> & { type?: string };

interface AnthropicMessage {
  role: string;
  content: string | Block[];
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as Block[])
    .filter((block) => block.type === 'text' && typeof block.text === 'string')
    .map((block) => block.text as string)
    .join('\n');
}

function imagePart(block: Block): Record<string, unknown> {
  const source = (block.source ?? {}) as { type?: string; media_type?: string; data?: string; url?: string };
  if (source.type === 'base64' && typeof source.data === 'string') {
    return { type: 'image_url', image_url: { url: `data:${source.media_type ?? 'image/png'};base64,${source.data}` } };
  }
  if (source.type === 'url' && typeof source.url === 'string') return { type: 'image_url', image_url: { url: source.url } };
  throw new GatewayError('invalid_request', 'This image source is not supported for this model.', { param: 'messages' });
}

function documentText(block: Block): string {
  const source = (block.source ?? {}) as { type?: string; data?: unknown; content?: unknown };
  if (source.type === 'text' && typeof source.data === 'string') return source.data;
  if (source.type === 'content') return textOf(source.content);
  throw new GatewayError('invalid_request', 'Only text documents can be sent to this model; PDF documents need an Anthropic deployment.', {
    param: 'messages',
  });
}

function userMessages(content: string | Block[]): Array<Record<string, unknown>> {
  if (typeof content === 'string') return [{ role: 'user', content }];
  const out: Array<Record<string, unknown>> = [];
  let parts: Array<Record<string, unknown>> = [];
  const flush = () => {
    if (parts.length === 0) return;
    const onlyText = parts.every((part) => part.type === 'text');
    out.push({ role: 'user', content: onlyText ? parts.map((part) => part.text as string).join('\n') : parts });
    parts = [];
  };
  for (const block of content) {
    switch (block.type) {
      case 'text':
        parts.push({ type: 'text', text: String(block.text ?? '') });
        break;
      case 'image':
        parts.push(imagePart(block));
        break;
      case 'document':
        parts.push({ type: 'text', text: documentText(block) });
        break;
      case 'tool_result': {
        // Chat wants each tool result as its own message, before what the user says next.
        flush();
        const text = textOf(block.content);
        out.push({ role: 'tool', tool_call_id: String(block.tool_use_id ?? ''), content: block.is_error === true && text === '' ? 'error' : text });
        break;
      }
      default:
        throw new GatewayError('invalid_request', `Content blocks of type "${String(block.type)}" are not supported for this model.`, { param: 'messages' });
    }
  }
  flush();
  return out;
}

function assistantMessage(content: string | Block[]): Record<string, unknown> {
  if (typeof content === 'string') return { role: 'assistant', content };
  let text = '';
  const toolCalls: Array<Record<string, unknown>> = [];
  for (const block of content) {
    if (block.type === 'text') text += String(block.text ?? '');
    else if (block.type === 'tool_use') {
      toolCalls.push({ id: String(block.id ?? ''), type: 'function', function: { name: String(block.name ?? ''), arguments: JSON.stringify(block.input ?? {}) } });
    }
    // thinking and redacted_thinking blocks only mean something to the model that wrote them.
  }
  const message: Record<string, unknown> = { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return message;
}

function toolChoice(choice: unknown): { tool_choice?: unknown; parallel_tool_calls?: boolean } {
  if (!choice || typeof choice !== 'object') return {};
  const { type, name, disable_parallel_tool_use: noParallel } = choice as { type?: string; name?: string; disable_parallel_tool_use?: boolean };
  const out: { tool_choice?: unknown; parallel_tool_calls?: boolean } = {};
  if (type === 'auto') out.tool_choice = 'auto';
  else if (type === 'any') out.tool_choice = 'required';
  else if (type === 'none') out.tool_choice = 'none';
  else if (type === 'tool' && name) out.tool_choice = { type: 'function', function: { name } };
  if (noParallel === true) out.parallel_tool_calls = false;
  return out;
}

/** The chat request a non-Anthropic deployment gets for a Messages request. */
export function anthropicToChatRequest(body: Record<string, unknown>, stream: boolean): Record<string, unknown> {
  const messages: Array<Record<string, unknown>> = [];
  const system = textOf(body.system);
  if (system !== '') messages.push({ role: 'system', content: system });
  for (const message of (body.messages ?? []) as AnthropicMessage[]) {
    if (message.role === 'user') messages.push(...userMessages(message.content));
    else if (message.role === 'assistant') messages.push(assistantMessage(message.content));
    else throw new GatewayError('invalid_request', `Messages with role "${message.role}" are not supported.`, { param: 'messages' });
  }
  const out: Record<string, unknown> = { model: body.model, messages, max_tokens: body.max_tokens };
  if (typeof body.temperature === 'number') out.temperature = body.temperature;
  if (typeof body.top_p === 'number') out.top_p = body.top_p;
  if (Array.isArray(body.stop_sequences) && body.stop_sequences.length > 0) out.stop = body.stop_sequences;
  const metadata = body.metadata as { user_id?: unknown } | undefined;
  if (metadata && typeof metadata.user_id === 'string') out.user = metadata.user_id;
  const tools = Array.isArray(body.tools) ? (body.tools as Block[]) : [];
  // Server tools (web search, code execution) run at Anthropic only; a chat provider has none of them.
  const functions = tools.filter((tool) => tool.input_schema !== undefined);
  if (functions.length > 0) {
    out.tools = functions.map((tool) => ({
      type: 'function',
      function: { name: tool.name, ...(typeof tool.description === 'string' ? { description: tool.description } : {}), parameters: tool.input_schema },
    }));
    Object.assign(out, toolChoice(body.tool_choice));
  }
  if (stream) out.stream = true;
  return out;
}
