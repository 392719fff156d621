import { GatewayError } from '@sluice/common';
import type { AdapterContext } from '../provider-adapter.js';
import {
  imageUrlOf,
  maxTokensOf,
  type OpenAiMessage,
  type OpenAiTool,
  type OpenAiToolChoice,
  parseArguments,
  parseDataUrl,
  stopList,
  textOf,
} from '../shared/openai-messages.js';
import { checkSupportedParams } from '../shared/supported-params.js';

type AnthropicBlock = Record<string, unknown> & { type: string };
interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: AnthropicBlock[];
}

/** Anthropic requires max_tokens; OpenAI does not. This is used when neither the request nor model_info sets one. */
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 4096;

const SUPPORTED = new Set([
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'n',
  'top_k',
  'thinking',
]);

function contentBlocks(content: OpenAiMessage['content']): AnthropicBlock[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!Array.isArray(content)) return [];
  const blocks: AnthropicBlock[] = [];
  for (const part of content) {
    if (part.type === 'text') {
      const text = (part as { text?: unknown }).text;
      if (typeof text === 'string' && text !== '') blocks.push({ type: 'text', text });
      continue;
    }
    const url = imageUrlOf(part);
    if (url !== undefined) {
      const inline = parseDataUrl(url);
      blocks.push({
        type: 'image',
        source: inline ? { type: 'base64', media_type: inline.mediaType, data: inline.data } : { type: 'url', url },
      });
      continue;
    }
    throw new GatewayError('invalid_request', `Content parts of type "${part.type}" are not supported for this model.`, { param: 'messages' });
  }
  return blocks;
}

function toolChoice(choice: OpenAiToolChoice | undefined, parallel: unknown): Record<string, unknown> | undefined {
  let converted: Record<string, unknown> | undefined;
  if (choice === 'auto') converted = { type: 'auto' };
  else if (choice === 'required') converted = { type: 'any' };
  else if (choice === 'none') converted = { type: 'none' };
  else if (choice && typeof choice === 'object' && choice.function?.name) converted = { type: 'tool', name: choice.function.name };
  if (parallel === false) converted = { ...(converted ?? { type: 'auto' }), disable_parallel_tool_use: true };
  return converted;
}

/** Consecutive messages of one role become one Anthropic message (tool results after each other must). */
function push(messages: AnthropicMessage[], role: 'user' | 'assistant', blocks: AnthropicBlock[]): void {
  if (blocks.length === 0) return;
  const last = messages.at(-1);
  if (last && last.role === role) last.content.push(...blocks);
  else messages.push({ role, content: blocks });
}

/** An OpenAI chat request → an Anthropic Messages request body. */
export function convertToAnthropicRequest(context: AdapterContext, body: Record<string, unknown>): Record<string, unknown> {
  checkSupportedParams(context, body, SUPPORTED);
  if (typeof body.n === 'number' && body.n > 1) {
    throw new GatewayError('unsupported_parameter', 'Anthropic models return one choice; n must be 1.', { param: 'n' });
  }
  const system: AnthropicBlock[] = [];
  const messages: AnthropicMessage[] = [];
  for (const message of (body.messages ?? []) as OpenAiMessage[]) {
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = textOf(message.content);
        if (text !== '') system.push({ type: 'text', text });
        break;
      }
      case 'user':
        push(messages, 'user', contentBlocks(message.content));
        break;
      case 'assistant': {
        const blocks = contentBlocks(message.content);
        for (const call of message.tool_calls ?? []) {
          blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input: parseArguments(call.function.arguments) });
        }
        push(messages, 'assistant', blocks);
        break;
      }
      case 'tool':
        push(messages, 'user', [{ type: 'tool_result', tool_use_id: message.tool_call_id ?? '', content: textOf(message.content) }]);
        break;
      default:
        throw new GatewayError('invalid_request', `Messages with role "${message.role}" are not supported for this model.`, { param: 'messages' });
    }
  }

  const deployment = context.deployment;
  const out: Record<string, unknown> = {
    model: deployment.model,
    messages,
    max_tokens: maxTokensOf(body) ?? deployment.info.max_output_tokens ?? deployment.info.max_tokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS,
  };
  if (system.length > 0) out.system = system.length === 1 ? system[0]!.text : system;
  if (typeof body.temperature === 'number') out.temperature = Math.min(body.temperature, 1);
  if (typeof body.top_p === 'number') out.top_p = body.top_p;
  if (typeof body.top_k === 'number') out.top_k = body.top_k;
  const stop = stopList(body.stop);
  if (stop && stop.length > 0) out.stop_sequences = stop;
  if (body.thinking && typeof body.thinking === 'object') out.thinking = body.thinking;
  const tools = (body.tools ?? undefined) as OpenAiTool[] | undefined;
  if (tools && tools.length > 0 && body.tool_choice !== 'none') {
    out.tools = tools.map((tool) => ({
      name: tool.function.name,
      ...(tool.function.description ? { description: tool.function.description } : {}),
      input_schema: tool.function.parameters ?? { type: 'object', properties: {} },
    }));
  }
  const choice = toolChoice(body.tool_choice as OpenAiToolChoice | undefined, body.parallel_tool_calls);
  if (choice && out.tools) out.tool_choice = choice;
  if (typeof body.user === 'string' && body.user !== '') out.metadata = { user_id: body.user };
  if (context.stream) out.stream = true;
  return out;
}
