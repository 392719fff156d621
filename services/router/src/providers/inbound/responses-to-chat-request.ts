import { GatewayError } from '@sluice/common';

// An OpenAI Responses request → a chat completion request, for deployments without the Responses API.
// Items chat cannot express (reasoning items, built-in tools) are dropped or refused; the stored
// conversation behind previous_response_id is resolved before this runs and arrives as `input` items.

type Item = Record<string, unknown> & { type?: string };

function contentParts(content: unknown): string | Array<Record<string, unknown>> {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const parts: Array<Record<string, unknown>> = [];
  for (const part of content as Item[]) {
    if (part.type === 'input_text' || part.type === 'output_text' || part.type === 'text') parts.push({ type: 'text', text: String(part.text ?? '') });
    else if (part.type === 'input_image') {
      const url = typeof part.image_url === 'string' ? part.image_url : undefined;
      if (!url) throw new GatewayError('invalid_request', 'Images must be sent as image_url for this model.', { param: 'input' });
      parts.push({ type: 'image_url', image_url: { url, ...(typeof part.detail === 'string' ? { detail: part.detail } : {}) } });
    } else if (part.type === 'refusal') parts.push({ type: 'text', text: String(part.refusal ?? '') });
    else throw new GatewayError('invalid_request', `Input content of type "${String(part.type)}" is not supported for this model.`, { param: 'input' });
  }
  return parts.every((part) => part.type === 'text') ? parts.map((part) => part.text as string).join('') : parts;
}

function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) return (output as Item[]).map((part) => (typeof part.text === 'string' ? part.text : '')).join('');
  return JSON.stringify(output ?? '');
}

/**
 * The chat messages for a Responses `input` (a string or items), or for a response's output items.
 * `skipUnknown` drops items chat has no words for (built-in tool calls in a stored output) instead of
 * refusing them.
 */
export function responsesInputMessages(input: unknown, skipUnknown = false): Array<Record<string, unknown>> {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  if (!Array.isArray(input)) return [];
  const messages: Array<Record<string, unknown>> = [];
  for (const item of input as Item[]) {
    const type = item.type ?? 'message';
    if (type === 'message') {
      const role = item.role === 'developer' ? 'system' : String(item.role ?? 'user');
      messages.push({ role, content: contentParts(item.content) });
    } else if (type === 'function_call') {
      const call = { id: String(item.call_id ?? ''), type: 'function', function: { name: String(item.name ?? ''), arguments: String(item.arguments ?? '') } };
      // Parallel calls are one assistant message in chat.
      const last = messages.at(-1);
      if (last && last.role === 'assistant' && Array.isArray(last.tool_calls)) (last.tool_calls as unknown[]).push(call);
      else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
    } else if (type === 'function_call_output') {
      messages.push({ role: 'tool', tool_call_id: String(item.call_id ?? ''), content: outputText(item.output) });
    } else if (type === 'reasoning' || type === 'item_reference') {
      // Reasoning is only meaningful to the model that wrote it; references need OpenAI's store.
    } else if (!skipUnknown) {
      throw new GatewayError('invalid_request', `Input items of type "${type}" are not supported for this model.`, { param: 'input' });
    }
  }
  return messages;
}

function toolChoice(choice: unknown): unknown {
  if (typeof choice === 'string') return choice;
  if (choice && typeof choice === 'object' && (choice as Item).type === 'function') return { type: 'function', function: { name: (choice as Item).name } };
  return undefined;
}

/**
 * The chat request a deployment without the Responses API gets. `history` is the stored conversation
 * behind previous_response_id: undefined when there is none to look in (no store), null when the id
 * was not found for this key.
 */
export function responsesToChatRequest(body: Record<string, unknown>, history: ReadonlyArray<Record<string, unknown>> | null | undefined, stream: boolean): Record<string, unknown> {
  if (typeof body.previous_response_id === 'string' && !history) {
    throw new GatewayError(
      'invalid_request',
      history === null ? `Previous response with id '${body.previous_response_id}' not found.` : 'previous_response_id needs the response store (DATABASE_URL on the router).',
      { param: 'previous_response_id' },
    );
  }
  const messages: Array<Record<string, unknown>> = [];
  if (typeof body.instructions === 'string' && body.instructions !== '') messages.push({ role: 'system', content: body.instructions });
  messages.push(...(history ?? []), ...responsesInputMessages(body.input));
  const out: Record<string, unknown> = { model: body.model, messages };
  if (typeof body.max_output_tokens === 'number') out.max_tokens = body.max_output_tokens;
  for (const name of ['temperature', 'top_p', 'parallel_tool_calls', 'user'] as const) if (body[name] !== undefined && body[name] !== null) out[name] = body[name];
  const tools = Array.isArray(body.tools) ? (body.tools as Item[]) : [];
  if (tools.length > 0) {
    out.tools = tools.map((tool) => {
      if (tool.type !== 'function') {
        throw new GatewayError('invalid_request', `Tools of type "${String(tool.type)}" need an OpenAI or Azure deployment.`, { param: 'tools' });
      }
      return {
        type: 'function',
        function: {
          name: tool.name,
          ...(typeof tool.description === 'string' ? { description: tool.description } : {}),
          parameters: tool.parameters ?? { type: 'object', properties: {} },
          ...(typeof tool.strict === 'boolean' ? { strict: tool.strict } : {}),
        },
      };
    });
    const choice = toolChoice(body.tool_choice);
    if (choice !== undefined) out.tool_choice = choice;
  }
  const format = (body.text as { format?: Item } | undefined)?.format;
  if (format?.type === 'json_schema') {
    out.response_format = { type: 'json_schema', json_schema: { name: format.name ?? 'response', schema: format.schema, ...(typeof format.strict === 'boolean' ? { strict: format.strict } : {}) } };
  } else if (format?.type === 'json_object') out.response_format = { type: 'json_object' };
  if (stream) out.stream = true;
  return out;
}
