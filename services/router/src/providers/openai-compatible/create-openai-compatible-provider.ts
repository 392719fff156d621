import { GatewayError } from '@sluice/common';
import { CallType } from '@sluice/proto';
import type { AdapterContext, Deployment, ParsedResponse, ProviderAdapter, UpstreamRequest } from '../provider-adapter.js';
import { splitApiBase } from '../shared/api-base.js';
import { mapOpenAiError } from './openai-error.js';
import { createOpenAiStreamMapper } from './openai-stream-mapper.js';
import { readOpenAiUsage, readResponsesUsage, responsesFinishReason, type ResponsesUsage } from './openai-usage.js';
import { createOpenAiResponsesStreamMapper } from './openai-responses-stream-mapper.js';
import { spliceOpenAiBody } from './splice-openai-body.js';

// Body fields that steer the gateway and must not reach the provider.
const GATEWAY_FIELDS = ['metadata', 'cache', 'fallbacks', 'tags', 'mock_response', 'num_retries', 'caching'];

export const OPENAI_PATHS: Partial<Record<CallType, string>> = {
  [CallType.CALL_TYPE_CHAT_COMPLETION]: '/chat/completions',
  [CallType.CALL_TYPE_COMPLETION]: '/completions',
  [CallType.CALL_TYPE_EMBEDDING]: '/embeddings',
  [CallType.CALL_TYPE_RESPONSES]: '/responses',
};

const RESPONSES_NATIVE: ReadonlySet<CallType> = new Set([CallType.CALL_TYPE_RESPONSES]);

export interface OpenAiCompatibleOptions {
  /** Where a call goes; by default `<api_base><path>`. */
  url?: (deployment: Deployment, path: string) => { origin: string; path: string };
  /** How the key is sent; by default `Authorization: Bearer`. */
  authHeaders?: (deployment: Deployment) => Record<string, string>;
  /**
   * The provider serves OpenAI's Responses API (OpenAI, Azure): Responses clients are passed through.
   * Other compatible servers get Responses requests translated to chat completions.
   */
  responses?: boolean;
}

interface Target {
  origin: string;
  path: string;
  headers: Readonly<Record<string, string>>;
}

function bearer(deployment: Deployment): Record<string, string> {
  const headers: Record<string, string> = {};
  if (deployment.apiKey) headers.authorization = `Bearer ${deployment.apiKey}`;
  if (deployment.params.organization) headers['openai-organization'] = deployment.params.organization;
  return headers;
}

function defaultUrl(deployment: Deployment, path: string): { origin: string; path: string } {
  const { origin, basePath } = splitApiBase(deployment.apiBase);
  return { origin, path: basePath + path };
}

/**
 * Every OpenAI-compatible provider (OpenAI itself, vLLM, Groq, Together, DeepSeek, Mistral, OpenRouter,
 * Azure, ...) is this one adapter with a different base URL, URL shape or key header. The body goes up
 * as the client sent it (with our model name) and answers come back byte for byte.
 */
export function createOpenAiCompatibleProvider(options: OpenAiCompatibleOptions = {}): ProviderAdapter {
  const url = options.url ?? defaultUrl;
  const authHeaders = options.authHeaders ?? bearer;
  // Where a deployment's calls go and with which headers depends on its configuration only: worked out
  // once per deployment and call type, not per request (URL parsing and header merging are not free).
  const targets = new WeakMap<Deployment, Map<string, Target>>();
  const targetOf = (deployment: Deployment, path: string): Target => {
    let byPath = targets.get(deployment);
    if (!byPath) {
      byPath = new Map();
      targets.set(deployment, byPath);
    }
    let target = byPath.get(path);
    if (!target) {
      const { origin, path: fullPath } = url(deployment, path);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        ...deployment.params.extra_headers,
        ...authHeaders(deployment),
      };
      target = { origin, path: fullPath, headers };
      byPath.set(path, target);
    }
    return target;
  };
  return {
    framing: 'sse',
    ...(options.responses ? { nativeCallTypes: RESPONSES_NATIVE } : {}),
    buildRequest(context: AdapterContext, body: Record<string, unknown>): UpstreamRequest {
      const path = OPENAI_PATHS[context.callType];
      if (!path) throw new GatewayError('invalid_request', 'This call type is not supported by the provider.');
      const target = targetOf(context.deployment, path);
      const responses = context.callType === CallType.CALL_TYPE_RESPONSES;
      // A Responses stream always reports usage in its last event: nothing to ask for.
      const addUsage = context.stream && !responses;
      const spliced = context.rawBody && spliceOpenAiBody(context.rawBody, body, context.deployment.model, addUsage, GATEWAY_FIELDS);
      if (spliced) return { origin: target.origin, path: target.path, method: 'POST', headers: { ...target.headers }, body: spliced };
      const outgoing: Record<string, unknown> = { ...body, model: context.deployment.model };
      for (const field of GATEWAY_FIELDS) if (field in outgoing) delete outgoing[field];
      if (addUsage) {
        // Always ask for usage so spend is exact; the mapper hides it again if the client did not ask.
        outgoing.stream_options = { ...(body.stream_options as object | undefined), include_usage: true };
      }
      // A copy of the headers: the request is the caller's to change (a signing adapter adds its own).
      return { origin: target.origin, path: target.path, method: 'POST', headers: { ...target.headers }, body: JSON.stringify(outgoing) };
    },
    parseResponse(context: AdapterContext, raw: Buffer): ParsedResponse {
      if (context.callType === CallType.CALL_TYPE_RESPONSES) return parseResponsesAnswer(raw);
      const parsed = JSON.parse(raw.toString('utf8')) as {
        usage?: Parameters<typeof readOpenAiUsage>[0];
        choices?: Array<{ finish_reason?: string | null }>;
      };
      return {
        body: raw,
        usage: readOpenAiUsage(parsed.usage),
        finishReason: parsed.choices?.[0]?.finish_reason ?? '',
      };
    },
    createStreamMapper: (context) => (context.callType === CallType.CALL_TYPE_RESPONSES ? createOpenAiResponsesStreamMapper(context) : createOpenAiStreamMapper(context)),
    mapError: mapOpenAiError,
  };
}

/** A Responses answer from OpenAI or Azure, as it came; its usage read. */
function parseResponsesAnswer(raw: Buffer): ParsedResponse {
  const parsed = JSON.parse(raw.toString('utf8')) as { usage?: ResponsesUsage; status?: string; incomplete_details?: { reason?: string } | null };
  return { body: raw, usage: readResponsesUsage(parsed.usage), finishReason: responsesFinishReason(parsed.status, parsed.incomplete_details?.reason ?? undefined) };
}
