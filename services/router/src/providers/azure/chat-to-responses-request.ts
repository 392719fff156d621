// A chat completion request → an OpenAI Responses request, for deployments that only serve Responses
// (Azure's codex models, `azure/responses/<model>`).

type Part = Record<string, unknown> & { type?: string };
export interface ChatMessage {
  role: string;
  content?: string | Part[] | null;
  tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>;
  tool_call_id?: string;
}

function inputContent(content: ChatMessage['content'], role: string): string | Part[] {
  if (typeof content === 'string' || content === null || content === undefined) return content ?? '';
  const text = role === 'assistant' ? 'output_text' : 'input_text';
  return content.map((part) => {
    if (part.type === 'text') return { type: text, text: part.text };
    if (part.type === 'image_url') {
      const image = part.image_url as { url?: string; detail?: string } | string;
      return typeof image === 'string' ? { type: 'input_image', image_url: image } : { type: 'input_image', image_url: image.url, ...(image.detail ? { detail: image.detail } : {}) };
    }
    return part;
  });
}

/** Chat messages as Responses input items: tool calls and results as function_call(_output) items. */
export function chatMessagesToResponsesInput(messages: readonly ChatMessage[]): Part[] {
  const input: Part[] = [];
  for (const message of messages) {
    if (message.role === 'tool') {
      input.push({ type: 'function_call_output', call_id: message.tool_call_id ?? '', output: typeof message.content === 'string' ? message.content : JSON.stringify(message.content ?? '') });
      continue;
    }
    const content = inputContent(message.content, message.role);
    if (content !== '' && !(Array.isArray(content) && content.length === 0)) input.push({ role: message.role, content });
    for (const call of message.tool_calls ?? []) input.push({ type: 'function_call', call_id: call.id, name: call.function.name, arguments: call.function.arguments });
  }
  return input;
}

export function chatToResponsesRequest(body: Record<string, unknown>, model: string, stream: boolean): Record<string, unknown> {
  const input = chatMessagesToResponsesInput((body.messages ?? []) as ChatMessage[]);
  // The gateway keeps no state at the provider: every chat request carries its whole conversation.
  const out: Record<string, unknown> = { model, input, store: false };
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (typeof maxTokens === 'number') out.max_output_tokens = maxTokens;
  for (const name of ['temperature', 'top_p', 'user', 'parallel_tool_calls'] as const) if (body[name] !== undefined && body[name] !== null) out[name] = body[name];
  if (typeof body.reasoning_effort === 'string') out.reasoning = { effort: body.reasoning_effort };
  const tools = (body.tools ?? []) as Array<{ type: string; function?: { name: string; description?: string; parameters?: unknown; strict?: boolean } }>;
  if (tools.length > 0) {
    out.tools = tools.map((tool) => ({ type: 'function', name: tool.function?.name, description: tool.function?.description, parameters: tool.function?.parameters ?? { type: 'object', properties: {} }, strict: tool.function?.strict ?? false }));
    const choice = body.tool_choice as string | { function?: { name?: string } } | undefined;
    if (typeof choice === 'string') out.tool_choice = choice;
    else if (choice?.function?.name) out.tool_choice = { type: 'function', name: choice.function.name };
  }
  const format = body.response_format as { type?: string; json_schema?: { name?: string; schema?: unknown; strict?: boolean } } | undefined;
  if (format?.type === 'json_schema') out.text = { format: { type: 'json_schema', name: format.json_schema?.name ?? 'response', schema: format.json_schema?.schema, strict: format.json_schema?.strict ?? false } };
  else if (format?.type === 'json_object') out.text = { format: { type: 'json_object' } };
  if (stream) out.stream = true;
  return out;
}
