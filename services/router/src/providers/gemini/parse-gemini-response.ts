import type { AdapterContext, ParsedResponse } from '../provider-adapter.js';
import { type AssembledToolCall, chatCompletionBody } from '../shared/chat-completion-body.js';
import { type GeminiResponse, geminiToolCallId } from './gemini-stream-mapper.js';
import { readGeminiUsage } from './gemini-usage.js';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.js';

/** A non-streaming generateContent answer → an OpenAI chat.completion. */
export function parseGeminiResponse(context: AdapterContext, raw: Buffer): ParsedResponse {
  const response = JSON.parse(raw.toString('utf8')) as GeminiResponse;
  const candidate = response.candidates?.[0];
  let text = '';
  let reasoning = '';
  const toolCalls: AssembledToolCall[] = [];
  for (const part of candidate?.content?.parts ?? []) {
    if (typeof part.text === 'string') {
      if (part.thought) reasoning += part.text;
      else text += part.text;
    }
    if (part.functionCall?.name) {
      toolCalls.push({
        id: geminiToolCallId(context, toolCalls.length, part.functionCall.id),
        name: part.functionCall.name,
        argumentsJson: JSON.stringify(part.functionCall.args ?? {}),
      });
    }
  }
  const finishReason = response.promptFeedback?.blockReason ? 'content_filter' : mapGeminiFinishReason(candidate?.finishReason, toolCalls.length > 0);
  const usage = readGeminiUsage(response.usageMetadata);
  const body = chatCompletionBody(context, {
    content: text === '' && toolCalls.length > 0 ? null : text,
    reasoning: reasoning || undefined,
    toolCalls,
    finishReason,
    usage,
  });
  return { body, usage, finishReason };
}
