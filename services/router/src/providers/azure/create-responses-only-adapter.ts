import { GatewayError } from '@sluice/common';
import { CallType } from '@sluice/proto';
import { readResponsesUsage, type ResponsesUsage } from '../openai-compatible/openai-usage.js';
import type { AdapterContext, DecodedEvent, Deployment, ParsedResponse, ProviderAdapter, StreamMapper, TokenUsage, UpstreamRequest } from '../provider-adapter.js';
import { type AssembledToolCall, chatCompletionBody } from '../shared/chat-completion-body.js';
import { createChunkWriter } from '../shared/openai-chunk-writer.js';
import { chatToResponsesRequest } from './chat-to-responses-request.js';

/** The prefix LiteLLM uses for Azure deployments that only serve the Responses API. */
export const RESPONSES_ONLY_PREFIX = 'responses/';

interface ResponseObject {
  status?: string;
  output?: Array<{ type?: string; call_id?: string; name?: string; arguments?: string; content?: Array<{ type?: string; text?: string }>; summary?: Array<{ text?: string }> }>;
  usage?: ResponsesUsage;
}

function finishOf(response: ResponseObject | undefined, sawToolCall: boolean): string {
  if (response?.status === 'incomplete') return 'length';
  return sawToolCall ? 'tool_calls' : 'stop';
}

/**
 * A deployment that serves only the Responses API (`azure/responses/<model>`): Responses clients go to it
 * as they came, and chat completions (and so every other inbound format) are sent as Responses requests
 * and their answers and events turned back into chat. The deployment name is the model after the prefix.
 */
export function createResponsesOnlyAdapter(inner: ProviderAdapter): ProviderAdapter {
  const stripped = new WeakMap<Deployment, Deployment>();
  const deploymentOf = (deployment: Deployment): Deployment => {
    let known = stripped.get(deployment);
    if (!known) {
      known = { ...deployment, model: deployment.model.slice(RESPONSES_ONLY_PREFIX.length) };
      stripped.set(deployment, known);
    }
    return known;
  };
  const responsesContext = (context: AdapterContext): AdapterContext => {
    const { rawBody, ...rest } = context;
    const native = context.callType === CallType.CALL_TYPE_RESPONSES;
    return { ...rest, ...(native && rawBody ? { rawBody } : {}), callType: CallType.CALL_TYPE_RESPONSES, deployment: deploymentOf(context.deployment) };
  };
  return {
    framing: 'sse',
    nativeCallTypes: new Set([CallType.CALL_TYPE_RESPONSES]),
    buildRequest(context: AdapterContext, body: Record<string, unknown>): UpstreamRequest | Promise<UpstreamRequest> {
      const target = responsesContext(context);
      if (context.callType === CallType.CALL_TYPE_RESPONSES) return inner.buildRequest(target, body);
      if (context.callType !== CallType.CALL_TYPE_CHAT_COMPLETION) throw new GatewayError('invalid_request', 'This model only serves chat completions and responses.');
      const request = chatToResponsesRequest(body, target.deployment.model, context.stream);
      target.body = request;
      return inner.buildRequest(target, request);
    },
    parseResponse(context: AdapterContext, raw: Buffer): ParsedResponse {
      if (context.callType === CallType.CALL_TYPE_RESPONSES) return inner.parseResponse(responsesContext(context), raw);
      const response = JSON.parse(raw.toString('utf8')) as ResponseObject;
      let text = '';
      let reasoning = '';
      const toolCalls: AssembledToolCall[] = [];
      for (const item of response.output ?? []) {
        if (item.type === 'message') for (const part of item.content ?? []) if (part.type === 'output_text') text += part.text ?? '';
        if (item.type === 'reasoning') for (const part of item.summary ?? []) reasoning += part.text ?? '';
        if (item.type === 'function_call') toolCalls.push({ id: item.call_id ?? '', name: item.name ?? '', argumentsJson: item.arguments ?? '' });
      }
      const usage = readResponsesUsage(response.usage);
      const finishReason = finishOf(response, toolCalls.length > 0);
      const body = chatCompletionBody(context, { content: text === '' && toolCalls.length > 0 ? null : text, reasoning: reasoning || undefined, toolCalls, finishReason, usage });
      return { body, usage, finishReason };
    },
    createStreamMapper(context: AdapterContext): StreamMapper {
      if (context.callType === CallType.CALL_TYPE_RESPONSES) return inner.createStreamMapper(responsesContext(context));
      return createResponsesToChatStreamMapper(context);
    },
    mapError: (status, raw, headers) => inner.mapError(status, raw, headers),
  };
}

interface ResponsesEvent {
  type?: string;
  item?: { id?: string; type?: string; call_id?: string; name?: string };
  item_id?: string;
  delta?: string;
  response?: ResponseObject;
  error?: { code?: string; message?: string };
  message?: string;
}

/** Responses events → chat chunks, for a chat client of a Responses-only deployment. */
function createResponsesToChatStreamMapper(context: AdapterContext): StreamMapper {
  const writer = createChunkWriter(context);
  const tools = new Map<string, number>();
  let usage: TokenUsage | undefined;
  let finishReason = '';
  let started = false;
  let done = false;
  let contentChunks = 0;
  const content = (payload: string) => {
    contentChunks += 1;
    return payload;
  };
  return {
    map(event: DecodedEvent): string[] {
      const parsed = JSON.parse(event.data) as ResponsesEvent;
      const out: string[] = [];
      if (!started && parsed.type !== 'error') {
        started = true;
        out.push(writer.role());
      }
      switch (parsed.type) {
        case 'response.output_item.added':
          if (parsed.item?.type === 'function_call') {
            const index = tools.size;
            tools.set(parsed.item.id ?? '', index);
            out.push(content(writer.toolCallStart(index, parsed.item.call_id ?? '', parsed.item.name ?? '')));
          }
          break;
        case 'response.output_text.delta':
          if (parsed.delta) out.push(content(writer.text(parsed.delta)));
          break;
        case 'response.reasoning_summary_text.delta':
        case 'response.reasoning_text.delta':
          if (parsed.delta) out.push(content(writer.reasoning(parsed.delta)));
          break;
        case 'response.function_call_arguments.delta': {
          const index = tools.get(parsed.item_id ?? '');
          if (index !== undefined && parsed.delta) out.push(content(writer.toolCallArguments(index, parsed.delta)));
          break;
        }
        case 'response.completed':
        case 'response.incomplete':
          done = true;
          usage = readResponsesUsage(parsed.response?.usage);
          finishReason = finishOf(parsed.response, tools.size > 0);
          out.push(writer.finish(finishReason));
          if (context.includeUsage && usage) out.push(writer.usage(usage));
          break;
        case 'response.failed':
        case 'error':
          throw new GatewayError('upstream_error', 'The provider failed the response.');
        default:
          break;
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
