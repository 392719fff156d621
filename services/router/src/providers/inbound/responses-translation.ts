import type { InboundTranslation } from './inbound-bridge.js';
import { chatToResponseBody } from './chat-to-response-body.js';
import { createChatToResponsesStreamMapper } from './chat-to-responses-stream-mapper.js';
import { responsesToChatRequest } from './responses-to-chat-request.js';

/** OpenAI Responses clients on deployments without the Responses API. */
export const RESPONSES_TRANSLATION: InboundTranslation = {
  toChat: (context, body) => responsesToChatRequest(body, context.conversation, context.stream),
  fromChat: chatToResponseBody,
  streamFromChat: createChatToResponsesStreamMapper,
};
