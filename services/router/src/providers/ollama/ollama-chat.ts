import { GatewayError } from '@sluice/common';
import { CallType } from '@sluice/proto';
import type { AdapterContext, DecodedEvent, ParsedResponse, ProviderAdapter, StreamMapper, TokenUsage, UpstreamRequest } from '../provider-adapter.js';
import { splitApiBase } from '../shared/api-base.js';
import { type AssembledToolCall, chatCompletionBody } from '../shared/chat-completion-body.js';
import { createChunkWriter } from '../shared/openai-chunk-writer.js';
import { generatedToolCallId, imageUrlOf, maxTokensOf, type OpenAiMessage, type OpenAiTool, parseArguments, parseDataUrl, stopList, textOf } from '../shared/openai-messages.js';
import { checkSupportedParams } from '../shared/supported-params.js';
import { type Headers, parseJsonOrUndefined, upstreamFailure } from '../shared/upstream-failure.js';

const SUPPORTED = new Set(['max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'top_k', 'stop', 'seed', 'presence_penalty', 'frequency_penalty', 'response_format', 'tools', 'tool_choice']);

interface OllamaMessage {
  role?: string;
  content?: string;
  thinking?: string;
  tool_calls?: Array<{ function?: { name?: string; arguments?: unknown } }>;
}

interface OllamaChunk {
  message?: OllamaMessage;
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  error?: string;
}

function usageOf(chunk: OllamaChunk): TokenUsage {
  return { promptTokens: chunk.prompt_eval_count ?? 0, completionTokens: chunk.eval_count ?? 0, cachedTokens: 0, reasoningTokens: 0 };
}

function finishReasonOf(chunk: OllamaChunk, calledTools: boolean): string {
  if (chunk.done_reason === 'length') return 'length';
  return calledTools ? 'tool_calls' : 'stop';
}

/** An OpenAI chat request → Ollama's /api/chat body. */
export function convertToOllamaRequest(context: AdapterContext, body: Record<string, unknown>): Record<string, unknown> {
  checkSupportedParams(context, body, SUPPORTED);
  const messages = ((body.messages ?? []) as OpenAiMessage[]).map((message) => {
    const out: Record<string, unknown> = { role: message.role, content: textOf(message.content) };
    if (Array.isArray(message.content)) {
      const images = message.content.map(imageUrlOf).filter((url): url is string => url !== undefined).map((url) => parseDataUrl(url)?.data);
      if (images.some((image) => image === undefined)) {
        throw new GatewayError('invalid_request', 'Ollama models take images as base64 data URLs only.', { param: 'messages' });
      }
      if (images.length > 0) out.images = images;
    }
    if (message.tool_calls?.length) {
      out.tool_calls = message.tool_calls.map((call) => ({ function: { name: call.function.name, arguments: parseArguments(call.function.arguments) } }));
    }
    return out;
  });
  const options: Record<string, unknown> = {};
  const maxTokens = maxTokensOf(body);
  if (maxTokens !== undefined) options.num_predict = maxTokens;
  for (const [from, to] of [['temperature', 'temperature'], ['top_p', 'top_p'], ['top_k', 'top_k'], ['seed', 'seed'], ['presence_penalty', 'presence_penalty'], ['frequency_penalty', 'frequency_penalty']] as const) {
    if (typeof body[from] === 'number') options[to] = body[from];
  }
  const stop = stopList(body.stop);
  if (stop && stop.length > 0) options.stop = stop;
  const out: Record<string, unknown> = { model: context.deployment.model, messages, stream: context.stream };
  if (Object.keys(options).length > 0) out.options = options;
  const format = body.response_format as { type?: string; json_schema?: { schema?: unknown } } | undefined;
  if (format?.type === 'json_object') out.format = 'json';
  if (format?.type === 'json_schema' && format.json_schema?.schema) out.format = format.json_schema.schema;
  const tools = (body.tools ?? undefined) as OpenAiTool[] | undefined;
  if (tools && tools.length > 0 && body.tool_choice !== 'none') out.tools = tools;
  return out;
}

function createOllamaStreamMapper(context: AdapterContext): StreamMapper {
  const writer = createChunkWriter(context);
  let usage: TokenUsage | undefined;
  let finishReason = '';
  let toolCalls = 0;
  let started = false;
  let done = false;
  let contentChunks = 0;
  return {
    map(event: DecodedEvent): string[] {
      const chunk = JSON.parse(event.data) as OllamaChunk;
      if (chunk.error) throw new GatewayError('upstream_stream_error', 'The provider reported an error in the stream.');
      const out: string[] = [];
      if (!started) {
        started = true;
        out.push(writer.role());
      }
      if (chunk.message?.thinking) {
        contentChunks += 1;
        out.push(writer.reasoning(chunk.message.thinking));
      }
      if (chunk.message?.content) {
        contentChunks += 1;
        out.push(writer.text(chunk.message.content));
      }
      for (const call of chunk.message?.tool_calls ?? []) {
        contentChunks += 1;
        out.push(writer.toolCallStart(toolCalls, generatedToolCallId(context.requestId, toolCalls), call.function?.name ?? '', JSON.stringify(call.function?.arguments ?? {})));
        toolCalls += 1;
      }
      if (chunk.done) {
        done = true;
        usage = usageOf(chunk);
        finishReason = finishReasonOf(chunk, toolCalls > 0);
        out.push(writer.finish(finishReason));
        if (context.includeUsage) out.push(writer.usage(usage));
      }
      return out;
    },
    finish: () => [],
    get done() {
      return done;
    },
    usage: () => usage,
    finishReason: () => finishReason,
    get contentChunks() {
      return contentChunks;
    },
  };
}

/** Ollama (`ollama/`, `ollama_chat/`): its /api/chat endpoint, streaming newline-delimited JSON. */
export function createOllamaProvider(): ProviderAdapter {
  return {
    framing: 'ndjson',
    buildRequest(context: AdapterContext, body: Record<string, unknown>): UpstreamRequest {
      if (context.callType !== CallType.CALL_TYPE_CHAT_COMPLETION) throw new GatewayError('invalid_request', 'This call type is not supported by the provider.');
      const { origin, basePath } = splitApiBase(context.deployment.apiBase);
      const headers: Record<string, string> = { 'content-type': 'application/json', ...context.deployment.params.extra_headers };
      if (context.deployment.apiKey) headers.authorization = `Bearer ${context.deployment.apiKey}`;
      return { origin, path: `${basePath}/api/chat`, method: 'POST', headers, body: JSON.stringify(convertToOllamaRequest(context, body)) };
    },
    parseResponse(context: AdapterContext, raw: Buffer): ParsedResponse {
      const chunk = JSON.parse(raw.toString('utf8')) as OllamaChunk;
      const toolCalls: AssembledToolCall[] = (chunk.message?.tool_calls ?? []).map((call, index) => ({
        id: generatedToolCallId(context.requestId, index),
        name: call.function?.name ?? '',
        argumentsJson: JSON.stringify(call.function?.arguments ?? {}),
      }));
      const usage = usageOf(chunk);
      const finishReason = finishReasonOf(chunk, toolCalls.length > 0);
      const text = chunk.message?.content ?? '';
      const body = chatCompletionBody(context, {
        content: text === '' && toolCalls.length > 0 ? null : text,
        reasoning: chunk.message?.thinking || undefined,
        toolCalls,
        finishReason,
        usage,
      });
      return { body, usage, finishReason };
    },
    createStreamMapper: createOllamaStreamMapper,
    mapError(status: number, raw: Buffer, headers: Headers) {
      const body = parseJsonOrUndefined<{ error?: string }>(raw);
      return upstreamFailure(status, '', body?.error, headers);
    },
  };
}
