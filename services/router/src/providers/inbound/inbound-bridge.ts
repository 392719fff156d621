import { CallType } from '@sluice/proto';
import type { AdapterContext, ParsedResponse, ProviderAdapter, StreamMapper, TokenUsage, UpstreamRequest } from '../provider-adapter.js';

/** How one inbound format travels through a provider's chat translation. */
export interface InboundTranslation {
  /** The chat completion request for the client's body. */
  toChat(context: AdapterContext, body: Record<string, unknown>): Record<string, unknown> | Promise<Record<string, unknown>>;
  /** A chat.completion body → the client's non-streaming answer. */
  fromChat(context: AdapterContext, chatBody: Buffer, usage: TokenUsage | undefined): Buffer;
  /** Chat chunk payloads (from the inner mapper) → the client's stream events. */
  streamFromChat(context: AdapterContext, inner: StreamMapper): StreamMapper;
}

/**
 * An adapter that speaks chat completions, answering an inbound format it does not speak natively: the
 * request is translated to chat before the adapter builds its own, and the adapter's chat answer (or
 * chunks) translated back. The inner adapter sees a plain chat completion context, without the client's
 * raw bytes (they are in the other format).
 */
export function createInboundBridge(inner: ProviderAdapter, translation: InboundTranslation): ProviderAdapter {
  const chatContexts = new WeakMap<AdapterContext, AdapterContext>();
  const chatContext = (context: AdapterContext): AdapterContext => {
    const known = chatContexts.get(context);
    if (known) return known;
    // Until buildRequest ran, the chat body is unknown; the context is completed there.
    const { rawBody: _clientBytes, ...rest } = context;
    const created: AdapterContext = { ...rest, callType: CallType.CALL_TYPE_CHAT_COMPLETION, includeUsage: false, body: {} };
    chatContexts.set(context, created);
    return created;
  };
  return {
    framing: inner.framing,
    async buildRequest(context: AdapterContext, body: Record<string, unknown>): Promise<UpstreamRequest> {
      const chatBody = await translation.toChat(context, body);
      const chat = chatContext(context);
      chat.body = chatBody;
      const request = await inner.buildRequest(chat, chatBody);
      // Parameters the inner adapter dropped are reported against the client's request.
      context.dropped.push(...chat.dropped);
      return request;
    },
    parseResponse(context: AdapterContext, raw: Buffer): ParsedResponse {
      const parsed = inner.parseResponse(chatContext(context), raw);
      return { ...parsed, body: translation.fromChat(context, parsed.body, parsed.usage) };
    },
    createStreamMapper(context: AdapterContext): StreamMapper {
      return translation.streamFromChat(context, inner.createStreamMapper(chatContext(context)));
    },
    mapError: (status, raw, headers) => inner.mapError(status, raw, headers),
  };
}
