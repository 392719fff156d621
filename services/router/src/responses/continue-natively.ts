import { CallType } from '@sluice/proto';
import { type ChatMessage as TypedChatMessage, chatMessagesToResponsesInput } from '../providers/azure/chat-to-responses-request.js';
import type { ProviderAdapter } from '../providers/provider-adapter.js';
import type { ChatMessage } from './response-store.js';

/**
 * Whether a Responses follow-up must carry its stored conversation instead of previous_response_id: the
 * deployment speaks the Responses API (so it would get the id) but did not make that response (it was
 * bridged through chat, came from the cache, or was made by another deployment, another provider
 * account perhaps), so its provider would not know the id.
 */
export function needsStoredInput(adapter: ProviderAdapter, deploymentId: string, conversation: readonly ChatMessage[] | null | undefined, madeBy: string | null | undefined): conversation is readonly ChatMessage[] {
  return conversation !== null && conversation !== undefined && adapter.nativeCallTypes?.has(CallType.CALL_TYPE_RESPONSES) === true && madeBy !== deploymentId;
}

/** The request with the stored conversation as input items before its own input, and no previous_response_id. */
export function withStoredInput(body: Record<string, unknown>, conversation: readonly ChatMessage[]): Record<string, unknown> {
  const { previous_response_id: _previous, input, ...rest } = body;
  const current = typeof input === 'string' ? [{ role: 'user', content: input }] : Array.isArray(input) ? (input as unknown[]) : [];
  // Stored by the router itself from chat messages it built: the shape chat messages have.
  return { ...rest, input: [...chatMessagesToResponsesInput(conversation as unknown as readonly TypedChatMessage[]), ...current] };
}
