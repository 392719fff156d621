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

type Block = Record<string, unknown>;
interface BedrockMessage {
  role: 'user' | 'assistant';
  content: Block[];
}

const SUPPORTED = new Set(['max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'stop', 'tools', 'tool_choice', 'parallel_tool_calls']);
const IMAGE_FORMATS = new Set(['png', 'jpeg', 'gif', 'webp']);

function blocks(content: OpenAiMessage['content']): Block[] {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  if (!Array.isArray(content)) return [];
  return content.map((part) => {
    if (part.type === 'text') return { text: String((part as { text?: unknown }).text ?? '') };
    const url = imageUrlOf(part);
    const inline = url === undefined ? undefined : parseDataUrl(url);
    const format = inline?.mediaType.replace(/^image\//, '').replace('jpg', 'jpeg');
    if (!inline || !format || !IMAGE_FORMATS.has(format)) {
      throw new GatewayError('invalid_request', 'Bedrock models take images as base64 data URLs (png, jpeg, gif, webp) only.', { param: 'messages' });
    }
    return { image: { format, source: { bytes: inline.data } } };
  });
}

function push(messages: BedrockMessage[], role: 'user' | 'assistant', added: Block[]): void {
  if (added.length === 0) return;
  const last = messages.at(-1);
  if (last && last.role === role) last.content.push(...added);
  else messages.push({ role, content: added });
}

function toolChoice(choice: OpenAiToolChoice | undefined): Record<string, unknown> | undefined {
  if (choice === 'auto') return { auto: {} };
  if (choice === 'required') return { any: {} };
  if (choice && typeof choice === 'object' && choice.function?.name) return { tool: { name: choice.function.name } };
  return undefined;
}

/** An OpenAI chat request → a Bedrock Converse / ConverseStream request body. */
export function convertToBedrockRequest(context: AdapterContext, body: Record<string, unknown>): Record<string, unknown> {
  checkSupportedParams(context, body, SUPPORTED);
  const system: Block[] = [];
  const messages: BedrockMessage[] = [];
  for (const message of (body.messages ?? []) as OpenAiMessage[]) {
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = textOf(message.content);
        if (text !== '') system.push({ text });
        break;
      }
      case 'user':
        push(messages, 'user', blocks(message.content));
        break;
      case 'assistant': {
        const added = blocks(message.content);
        for (const call of message.tool_calls ?? []) {
          added.push({ toolUse: { toolUseId: call.id, name: call.function.name, input: parseArguments(call.function.arguments) } });
        }
        push(messages, 'assistant', added);
        break;
      }
      case 'tool':
        push(messages, 'user', [{ toolResult: { toolUseId: message.tool_call_id ?? '', content: [{ text: textOf(message.content) }] } }]);
        break;
      default:
        throw new GatewayError('invalid_request', `Messages with role "${message.role}" are not supported for this model.`, { param: 'messages' });
    }
  }
  const out: Record<string, unknown> = { messages };
  if (system.length > 0) out.system = system;
  const inference: Record<string, unknown> = {};
  const maxTokens = maxTokensOf(body);
  if (maxTokens !== undefined) inference.maxTokens = maxTokens;
  if (typeof body.temperature === 'number') inference.temperature = body.temperature;
  if (typeof body.top_p === 'number') inference.topP = body.top_p;
  const stop = stopList(body.stop);
  if (stop && stop.length > 0) inference.stopSequences = stop;
  if (Object.keys(inference).length > 0) out.inferenceConfig = inference;
  const tools = (body.tools ?? undefined) as OpenAiTool[] | undefined;
  // Bedrock has no tool_choice "none": leaving the tools out has the same effect.
  if (tools && tools.length > 0 && body.tool_choice !== 'none') {
    const config: Record<string, unknown> = {
      tools: tools.map((tool) => ({
        toolSpec: {
          name: tool.function.name,
          ...(tool.function.description ? { description: tool.function.description } : {}),
          inputSchema: { json: tool.function.parameters ?? { type: 'object', properties: {} } },
        },
      })),
    };
    const choice = toolChoice(body.tool_choice as OpenAiToolChoice | undefined);
    if (choice) config.toolChoice = choice;
    out.toolConfig = config;
  }
  return out;
}
