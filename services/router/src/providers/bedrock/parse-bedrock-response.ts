import type { AdapterContext, ParsedResponse } from '../provider-adapter.js';
import { type AssembledToolCall, chatCompletionBody } from '../shared/chat-completion-body.js';
import { type BedrockUsage, readBedrockUsage } from './bedrock-usage.js';
import { mapBedrockFinishReason } from './map-bedrock-finish-reason.js';

interface ConverseResponse {
  output?: {
    message?: {
      content?: Array<{
        text?: string;
        toolUse?: { toolUseId?: string; name?: string; input?: unknown };
        reasoningContent?: { reasoningText?: { text?: string } };
      }>;
    };
  };
  stopReason?: string;
  usage?: BedrockUsage;
}

/** A Converse answer → an OpenAI chat.completion. */
export function parseBedrockResponse(context: AdapterContext, raw: Buffer): ParsedResponse {
  const response = JSON.parse(raw.toString('utf8')) as ConverseResponse;
  let text = '';
  let reasoning = '';
  const toolCalls: AssembledToolCall[] = [];
  for (const block of response.output?.message?.content ?? []) {
    if (typeof block.text === 'string') text += block.text;
    if (block.reasoningContent?.reasoningText?.text) reasoning += block.reasoningContent.reasoningText.text;
    if (block.toolUse) {
      toolCalls.push({ id: block.toolUse.toolUseId ?? '', name: block.toolUse.name ?? '', argumentsJson: JSON.stringify(block.toolUse.input ?? {}) });
    }
  }
  const finishReason = mapBedrockFinishReason(response.stopReason);
  const usage = readBedrockUsage(response.usage);
  const body = chatCompletionBody(context, {
    content: text === '' && toolCalls.length > 0 ? null : text,
    reasoning: reasoning || undefined,
    toolCalls,
    finishReason,
    usage,
  });
  return { body, usage, finishReason };
}
