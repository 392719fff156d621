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
  toolNamesById,
} from '../shared/openai-messages.js';
import { checkSupportedParams } from '../shared/supported-params.js';

type GeminiPart = Record<string, unknown>;
interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

const SUPPORTED = new Set([
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'top_k',
  'n',
  'stop',
  'presence_penalty',
  'frequency_penalty',
  'seed',
  'logprobs',
  'top_logprobs',
  'response_format',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
]);

const IMAGE_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif', pdf: 'application/pdf' };

function parts(content: OpenAiMessage['content']): GeminiPart[] {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  if (!Array.isArray(content)) return [];
  return content.map((part) => {
    if (part.type === 'text') return { text: String((part as { text?: unknown }).text ?? '') };
    const url = imageUrlOf(part);
    if (url === undefined) {
      throw new GatewayError('invalid_request', `Content parts of type "${part.type}" are not supported for this model.`, { param: 'messages' });
    }
    const inline = parseDataUrl(url);
    if (inline) return { inlineData: { mimeType: inline.mediaType, data: inline.data } };
    const extension = /\.([a-z0-9]+)(?:\?|$)/i.exec(url)?.[1]?.toLowerCase() ?? '';
    return { fileData: { fileUri: url, mimeType: IMAGE_TYPES[extension] ?? 'image/jpeg' } };
  });
}

function push(contents: GeminiContent[], role: 'user' | 'model', added: GeminiPart[]): void {
  if (added.length === 0) return;
  const last = contents.at(-1);
  if (last && last.role === role) last.parts.push(...added);
  else contents.push({ role, parts: added });
}

function toolConfig(choice: OpenAiToolChoice | undefined): Record<string, unknown> | undefined {
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (choice && typeof choice === 'object' && choice.function?.name) {
    return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
  }
  return undefined;
}

/** An OpenAI chat request → a Gemini GenerateContentRequest (REST JSON, lowerCamelCase). */
export function convertToGeminiRequest(context: AdapterContext, body: Record<string, unknown>): Record<string, unknown> {
  checkSupportedParams(context, body, SUPPORTED);
  const messages = (body.messages ?? []) as OpenAiMessage[];
  const names = toolNamesById(messages);
  const system: GeminiPart[] = [];
  const contents: GeminiContent[] = [];
  for (const message of messages) {
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = textOf(message.content);
        if (text !== '') system.push({ text });
        break;
      }
      case 'user':
        push(contents, 'user', parts(message.content));
        break;
      case 'assistant': {
        const added = parts(message.content);
        for (const call of message.tool_calls ?? []) {
          added.push({ functionCall: { name: call.function.name, args: parseArguments(call.function.arguments) } });
        }
        push(contents, 'model', added);
        break;
      }
      case 'tool':
        push(contents, 'user', [
          {
            functionResponse: {
              name: names.get(message.tool_call_id ?? '') ?? message.name ?? '',
              response: { content: textOf(message.content) },
            },
          },
        ]);
        break;
      default:
        throw new GatewayError('invalid_request', `Messages with role "${message.role}" are not supported for this model.`, { param: 'messages' });
    }
  }

  const generationConfig: Record<string, unknown> = {};
  const maxTokens = maxTokensOf(body);
  if (maxTokens !== undefined) generationConfig.maxOutputTokens = maxTokens;
  if (typeof body.temperature === 'number') generationConfig.temperature = body.temperature;
  if (typeof body.top_p === 'number') generationConfig.topP = body.top_p;
  if (typeof body.top_k === 'number') generationConfig.topK = body.top_k;
  if (typeof body.n === 'number') generationConfig.candidateCount = body.n;
  const stop = stopList(body.stop);
  if (stop && stop.length > 0) generationConfig.stopSequences = stop;
  if (typeof body.presence_penalty === 'number') generationConfig.presencePenalty = body.presence_penalty;
  if (typeof body.frequency_penalty === 'number') generationConfig.frequencyPenalty = body.frequency_penalty;
  if (typeof body.seed === 'number') generationConfig.seed = body.seed;
  if (body.logprobs === true) generationConfig.responseLogprobs = true;
  if (typeof body.top_logprobs === 'number') generationConfig.logprobs = body.top_logprobs;
  const format = body.response_format as { type?: string; json_schema?: { schema?: unknown } } | undefined;
  if (format?.type === 'json_object') generationConfig.responseMimeType = 'application/json';
  if (format?.type === 'json_schema') {
    generationConfig.responseMimeType = 'application/json';
    if (format.json_schema?.schema) generationConfig.responseJsonSchema = format.json_schema.schema;
  }

  const out: Record<string, unknown> = { contents };
  if (system.length > 0) out.systemInstruction = { parts: system };
  if (Object.keys(generationConfig).length > 0) out.generationConfig = generationConfig;
  const tools = (body.tools ?? undefined) as OpenAiTool[] | undefined;
  if (tools && tools.length > 0) {
    out.tools = [
      {
        functionDeclarations: tools.map((tool) => ({
          name: tool.function.name,
          ...(tool.function.description ? { description: tool.function.description } : {}),
          ...(tool.function.parameters ? { parametersJsonSchema: tool.function.parameters } : {}),
        })),
      },
    ];
    const config = toolConfig(body.tool_choice as OpenAiToolChoice | undefined);
    if (config) out.toolConfig = config;
  }
  return out;
}
