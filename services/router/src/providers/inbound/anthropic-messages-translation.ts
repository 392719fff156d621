import type { InboundTranslation } from './inbound-bridge.js';
import { anthropicToChatRequest } from './anthropic-to-chat-request.js';
import { chatToAnthropicMessage } from './chat-to-anthropic-message.js';
import { createChatToAnthropicStreamMapper } from './chat-to-anthropic-stream-mapper.js';

/** Anthropic Messages clients on deployments that speak chat completions. */
export const ANTHROPIC_MESSAGES_TRANSLATION: InboundTranslation = {
  toChat: (context, body) => anthropicToChatRequest(body, context.stream),
  fromChat: chatToAnthropicMessage,
  streamFromChat: createChatToAnthropicStreamMapper,
};
