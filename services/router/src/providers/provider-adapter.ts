import type { ErrorCode, LitellmParams, ModelInfo, ProviderSource } from '@sluice/common';
import type { CallType } from '@sluice/proto';

// What a provider folder implements. The core (routing/) never branches on a provider name: it builds the
// request with the adapter, sends it, decodes the framing once (providers/shared/), and hands each
// decoded event to the adapter's stream mapper.

export interface Deployment {
  /** Stable id: model_info.id, or derived from the model and api_base. */
  id: string;
  /** The model_name clients use. */
  modelGroup: string;
  /** Provider prefix of litellm_params.model, e.g. "openai". */
  provider: string;
  /** Model name as the provider knows it (litellm_params.model without the prefix). */
  model: string;
  /** Base URL from config only; never from a client request. */
  apiBase: string;
  /** Host (and port) of apiBase, as usage events and spans name the provider endpoint. */
  apiBaseHost: string;
  apiKey: string | undefined;
  params: LitellmParams;
  info: ModelInfo;
  /** How the provider was told: the model's prefix, or inferred from its name or an api_base. */
  providerSource?: ProviderSource;
  /** litellm_params request defaults (temperature, max_tokens, ...); the client's values win. */
  bodyDefaults?: Readonly<Record<string, unknown>>;
}

export interface AdapterContext {
  requestId: string;
  callType: CallType;
  stream: boolean;
  /** The client asked for stream_options.include_usage. */
  includeUsage: boolean;
  deployment: Deployment;
  /** Drop unsupported parameters instead of failing (litellm_settings.drop_params). */
  dropParams: boolean;
  /** Parameters dropped while building the request; the router logs them as a warning. */
  dropped: string[];
  /** The client's request body (parsed once by the router). */
  body: Record<string, unknown>;
  /** The same body's bytes as received, for adapters that forward them with a few edits. */
  rawBody?: Buffer;
  /** Unix seconds for the `created` field of responses the adapter writes itself. */
  createdSeconds: number;
  /** Client headers a provider of the inbound format may receive (anthropic-version, anthropic-beta). */
  clientHeaders?: Readonly<Record<string, string>>;
  /**
   * Responses API: the stored conversation behind previous_response_id as chat messages, for adapters
   * that translate; null when the id is unknown to this key, absent when there is no store.
   */
  conversation?: ReadonlyArray<Record<string, unknown>> | null;
}

export interface UpstreamRequest {
  origin: string;
  path: string;
  method: 'POST' | 'GET';
  headers: Record<string, string>;
  body: string | Buffer | undefined;
}

/** The pricing package's usage record: what the final cost is computed from. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  /** Prompt tokens written to the provider's prompt cache (part of promptTokens, like cachedTokens). */
  cacheCreationTokens?: number;
  /** Prompt tokens written to the prompt cache (Anthropic, Bedrock), by cache lifetime. */
  cacheWrite5mTokens?: number;
  cacheWrite1hTokens?: number;
}

export interface ParsedResponse {
  /** The OpenAI-shaped response body, ready for the client. */
  body: Buffer;
  usage: TokenUsage | undefined;
  /** The usage is the adapter's own estimate (the provider reports none). */
  usageEstimated?: boolean;
  finishReason: string;
}

export type Framing = 'sse' | 'aws-eventstream' | 'ndjson';

/** One decoded upstream event: an SSE event, an event-stream message or an NDJSON line. */
export interface DecodedEvent {
  /** SSE `event:` field, or the event-stream `:event-type` (`exception:<type>` for exception messages). */
  event: string | undefined;
  data: string;
}

export interface StreamMapper {
  /**
   * Set when map() and finish() return whole SSE events (`event: ...\ndata: ...\n\n`) in the client's
   * format instead of OpenAI chunk payloads; Anthropic Messages and Responses streams name their events.
   */
  readonly framed?: boolean;
  /** Maps one upstream event to zero or more OpenAI chunk payloads (the JSON after `data: `). */
  map(event: DecodedEvent): string[];
  /** Payloads to send after the upstream stream ended (e.g. the usage chunk). */
  finish(): string[];
  /** True once the upstream said it is done ([DONE], message_stop, ...). */
  readonly done: boolean;
  usage(): TokenUsage | undefined;
  finishReason(): string;
  /** Content-bearing chunks forwarded so far; the completion-token estimate when usage never comes. */
  readonly contentChunks: number;
}

export interface UpstreamFailure {
  code: ErrorCode;
  message: string;
  /** From Retry-After / retry-after-ms. */
  retryAfterMs: number | undefined;
}

export interface ProviderAdapter {
  /**
   * Call types this adapter answers in the client's own format; any other inbound format (Anthropic
   * Messages, Responses) reaches it translated to a chat completion (routing/adapter-for-call.ts).
   * Absent: chat completions, completions and embeddings.
   */
  readonly nativeCallTypes?: ReadonlySet<CallType>;
  /** Framing of streamed responses (non-streaming answers are one JSON body). */
  readonly framing: Framing;
  /** Async for providers whose requests are signed (SigV4) or carry a fetched token (Vertex AI). */
  buildRequest(context: AdapterContext, body: Record<string, unknown>): UpstreamRequest | Promise<UpstreamRequest>;
  parseResponse(context: AdapterContext, raw: Buffer): ParsedResponse;
  createStreamMapper(context: AdapterContext): StreamMapper;
  mapError(status: number, raw: Buffer, headers: Record<string, string | string[] | undefined>): UpstreamFailure;
}
