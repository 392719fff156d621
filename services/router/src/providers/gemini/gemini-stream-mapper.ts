import type { AdapterContext, DecodedEvent, StreamMapper, TokenUsage } from '../provider-adapter.js';
import { createChunkWriter } from '../shared/openai-chunk-writer.js';
import { generatedToolCallId } from '../shared/openai-messages.js';
import { geminiStreamError } from './gemini-error.js';
import { applyPartialArg, type GeminiFunctionCall } from './gemini-function-call.js';
import { type GeminiUsageMetadata, readGeminiUsage } from './gemini-usage.js';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.js';

export interface GeminiPart {
  text?: string;
  thought?: boolean;
  functionCall?: GeminiFunctionCall;
}

export interface GeminiResponse {
  candidates?: Array<{ content?: { parts?: GeminiPart[] }; finishReason?: string; index?: number }>;
  promptFeedback?: { blockReason?: string };
  usageMetadata?: GeminiUsageMetadata;
  error?: unknown;
}

/** The id of the n-th tool call of a request: Gemini gives calls no ids, OpenAI clients need them. */
export function geminiToolCallId(context: AdapterContext, index: number, given: string | undefined): string {
  return given ?? generatedToolCallId(context.requestId, index);
}

/**
 * Gemini streamGenerateContent (`alt=sse`) → OpenAI chunks. Every event is a whole GenerateContentResponse
 * with cumulative usageMetadata; fields this does not know (turnToken, createTime, ...) are ignored. A
 * function call is sent as one tool-call delta with its whole arguments, when it is complete.
 */
export function createGeminiStreamMapper(context: AdapterContext): StreamMapper {
  const writer = createChunkWriter(context);
  let usage: TokenUsage | undefined;
  let finishReason = '';
  let toolCalls = 0;
  let started = false;
  let done = false;
  let contentChunks = 0;
  let streaming: { id: string | undefined; name: string; args: Record<string, unknown> } | undefined;

  const content = (payload: string): string => {
    contentChunks += 1;
    return payload;
  };
  const emitCall = (name: string, args: Record<string, unknown>, id: string | undefined): string => {
    const index = toolCalls;
    toolCalls += 1;
    return content(writer.toolCallStart(index, geminiToolCallId(context, index, id), name, JSON.stringify(args)));
  };

  return {
    map(event: DecodedEvent): string[] {
      const response = JSON.parse(event.data) as GeminiResponse;
      if (response.error) throw geminiStreamError(event.data);
      const out: string[] = [];
      if (!started) {
        started = true;
        out.push(writer.role());
      }
      usage = readGeminiUsage(response.usageMetadata) ?? usage;
      const candidate = response.candidates?.[0];
      for (const part of candidate?.content?.parts ?? []) {
        if (typeof part.text === 'string' && part.text !== '') {
          out.push(content(part.thought ? writer.reasoning(part.text) : writer.text(part.text)));
        }
        const call = part.functionCall;
        if (!call) continue;
        if (streaming) {
          for (const partial of call.partialArgs ?? []) applyPartialArg(streaming.args, partial);
          if (!call.willContinue) {
            out.push(emitCall(streaming.name, streaming.args, streaming.id));
            streaming = undefined;
          }
        } else if (call.willContinue) {
          streaming = { id: call.id, name: call.name ?? '', args: { ...call.args } };
          for (const partial of call.partialArgs ?? []) applyPartialArg(streaming.args, partial);
        } else if (call.name) {
          out.push(emitCall(call.name, call.args ?? {}, call.id));
        }
      }
      const blocked = response.promptFeedback?.blockReason;
      if (candidate?.finishReason || blocked) {
        if (streaming) {
          out.push(emitCall(streaming.name, streaming.args, streaming.id));
          streaming = undefined;
        }
        finishReason = blocked ? 'content_filter' : mapGeminiFinishReason(candidate?.finishReason, toolCalls > 0);
        if (!done) out.push(writer.finish(finishReason));
        done = true;
      }
      return out;
    },
    finish: () => (done && context.includeUsage && usage ? [writer.usage(usage)] : []),
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
