import { CallType } from '@sluice/proto';
import { createAnthropicPassthroughStreamMapper } from '../anthropic/anthropic-passthrough-stream-mapper.js';
import { parseAnthropicNativeResponse } from '../anthropic/parse-anthropic-response.js';
import type { AdapterContext, DecodedEvent, Deployment, ParsedResponse, ProviderAdapter, StreamMapper, UpstreamRequest } from '../provider-adapter.js';
import { bedrockStreamError } from './bedrock-error.js';
import { bedrockRequest } from './create-bedrock-provider.js';

/** The anthropic_version Bedrock's Claude models take in the body. */
export const BEDROCK_ANTHROPIC_VERSION = 'bedrock-2023-05-31';

/** Claude on Bedrock: model ids `anthropic.claude-...`, or a cross-region profile `us.anthropic.claude-...`. */
export function isBedrockClaude(deployment: Deployment): boolean {
  return /(^|\.)anthropic\.claude/.test(deployment.model);
}

const NATIVE: ReadonlySet<CallType> = new Set([CallType.CALL_TYPE_CHAT_COMPLETION, CallType.CALL_TYPE_ANTHROPIC_MESSAGES]);

/**
 * Anthropic Messages clients of a Claude model on Bedrock: InvokeModel with the Messages body (Bedrock
 * takes it with anthropic_version in the body, betas as anthropic_beta, no model and no stream field), so
 * cache_control, thinking and documents arrive as sent. The streamed events come wrapped in event-stream
 * `chunk` messages (base64 of each Anthropic event) and go out to the client as Anthropic events. Chat
 * completions keep going through Converse.
 */
export function createBedrockClaudeAdapter(converse: ProviderAdapter): ProviderAdapter {
  return {
    framing: 'aws-eventstream',
    nativeCallTypes: NATIVE,
    buildRequest(context: AdapterContext, body: Record<string, unknown>): UpstreamRequest | Promise<UpstreamRequest> {
      if (context.callType !== CallType.CALL_TYPE_ANTHROPIC_MESSAGES) return converse.buildRequest(context, body);
      const { model: _model, stream: _stream, ...rest } = body;
      const payload: Record<string, unknown> = { anthropic_version: BEDROCK_ANTHROPIC_VERSION, ...rest };
      const beta = context.clientHeaders?.['anthropic-beta'];
      if (beta && payload.anthropic_beta === undefined) payload.anthropic_beta = beta.split(',').map((name) => name.trim()).filter(Boolean);
      return bedrockRequest(context.deployment, context.stream ? 'invoke-with-response-stream' : 'invoke', JSON.stringify(payload));
    },
    parseResponse(context: AdapterContext, raw: Buffer): ParsedResponse {
      if (context.callType !== CallType.CALL_TYPE_ANTHROPIC_MESSAGES) return converse.parseResponse(context, raw);
      return parseAnthropicNativeResponse(raw);
    },
    createStreamMapper(context: AdapterContext): StreamMapper {
      if (context.callType !== CallType.CALL_TYPE_ANTHROPIC_MESSAGES) return converse.createStreamMapper(context);
      const events = createAnthropicPassthroughStreamMapper(context);
      return {
        framed: true,
        map(event: DecodedEvent): string[] {
          const type = event.event ?? '';
          if (type.startsWith('exception:')) throw bedrockStreamError(type, event.data);
          if (type !== 'chunk') return [];
          const bytes = (JSON.parse(event.data) as { bytes?: string }).bytes;
          if (!bytes) return [];
          const data = Buffer.from(bytes, 'base64').toString('utf8');
          return events.map({ event: (JSON.parse(data) as { type?: string }).type, data });
        },
        finish: () => events.finish(),
        get done() {
          return events.done;
        },
        usage: () => events.usage(),
        finishReason: () => events.finishReason(),
        get contentChunks() {
          return events.contentChunks;
        },
      };
    },
    mapError: (status, raw, headers) => converse.mapError(status, raw, headers),
  };
}
