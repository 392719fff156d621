import { performance } from 'node:perf_hooks';
import { type CancelSignal, GatewayError } from '@sluice/common';
import type { CompletePart, CompleteRequest } from '@sluice/proto';
import { femtoToMicrosPerToken, finalCostNanos, type ModelPrice, nanosToRoundedMicros } from '@sluice/pricing';
import type { AdapterContext, DecodedEvent, Deployment, ProviderAdapter, StreamMapper, TokenUsage } from '../providers/provider-adapter.js';
import { createAwsEventStreamDecoder } from '../providers/shared/aws-event-stream-decoder.js';
import { createNdjsonDecoder } from '../providers/shared/ndjson-decoder.js';
import { deploymentCredentials, scrubCredentials } from '../providers/shared/scrub-credentials.js';
import { createSseDecoder } from '../providers/shared/sse-decoder.js';
import { sendUpstream, toUpstreamError } from '../providers/shared/upstream-client.js';
import { AttemptError } from './attempt-error.js';
import { withTraceparent } from './upstream-traceparent.js';
import { withDeploymentDefaults } from './deployment-defaults.js';

export interface AttemptInput {
  request: CompleteRequest;
  body: Record<string, unknown>;
  deployment: Deployment;
  adapter: ProviderAdapter;
  price: ModelPrice | undefined;
  /** The same price as sent to the edge (encoded once per deployment). */
  priceJson: string;
  dropParams: boolean;
  /** Non-streaming: the whole answer. */
  timeoutMs: number;
  /** Streaming: the first content chunk. */
  streamTimeoutMs: number;
  /** Streaming: the longest silence between two chunks. */
  idleTimeoutMs: number;
  signal: CancelSignal;
  createdSeconds: number;
  /** Responses API: the stored conversation behind previous_response_id (see AdapterContext). */
  conversation?: ReadonlyArray<Record<string, unknown>> | null;
  /** The router rewrote the body (a stored conversation as input): the client's bytes are not it. */
  bodyRewritten?: boolean;
  /** Called with the parameters an adapter dropped (drop_params). */
  onDropped(names: string[]): void;
  /** W3C traceparent sent upstream ('' for none). */
  traceparent?: string;
}

/** What the router learns from an attempt that produced an answer (for routing statistics). */
export interface AttemptOutcome {
  /** Time to first token (streams) or to the whole answer. */
  latencyMs: number;
  usage: TokenUsage;
}

export interface AttemptResult {
  value?: AttemptOutcome;
  /** Set when a stream failed after content had reached the client. */
  midStreamError?: string;
  /** The provider's finish reason, once it gave one. */
  finishReason?: string;
}

const NEWLINES = '\n\n';

function decoderFor(adapter: ProviderAdapter): { push(bytes: Uint8Array): DecodedEvent[]; end(): DecodedEvent[] } {
  if (adapter.framing === 'aws-eventstream') return createAwsEventStreamDecoder();
  if (adapter.framing === 'ndjson') return createNdjsonDecoder();
  return createSseDecoder();
}

/** Roughly four bytes of JSON per token; only used when the provider never reports usage. */
export function estimatePromptTokens(body: Buffer): number {
  return Math.ceil(body.length / 4);
}

const UINT32_MAX = 4_294_967_295;
/** Token counts travel as protobuf uint32: a provider's absurd count is clamped, never allowed to fail the part. */
const tokenCount = (value: number) => (Number.isFinite(value) && value > 0 ? Math.min(Math.round(value), UINT32_MAX) : 0);

function usagePart(usage: TokenUsage, price: ModelPrice | undefined, estimated: boolean): CompletePart {
  // Priced from what the provider reported, so the spend is what it will bill.
  const costNanos = finalCostNanos(usage, price);
  return {
    part: {
      $case: 'usage',
      usage: {
        promptTokens: tokenCount(usage.promptTokens),
        completionTokens: tokenCount(usage.completionTokens),
        cachedTokens: tokenCount(usage.cachedTokens),
        reasoningTokens: tokenCount(usage.reasoningTokens),
        cacheCreationTokens: tokenCount(usage.cacheCreationTokens ?? 0),
        // Priced from what the provider reported, so the spend is what it will bill.
        costMicros: nanosToRoundedMicros(costNanos),
        estimated,
        costNanos,
        priceSource: price?.source ?? '',
        cacheWrite5mTokens: tokenCount(usage.cacheWrite5mTokens ?? 0),
        cacheWrite1hTokens: tokenCount(usage.cacheWrite1hTokens ?? 0),
      },
    },
  };
}

/**
 * One attempt at one deployment. Until it yields its Start part, a failure is thrown as an AttemptError
 * (the router may retry or fall back; nothing reached the client). After that it never throws: a failure
 * ends the stream with the usage counted so far and a StreamError part. `outcome` says how it went.
 */
export async function* runAttempt(input: AttemptInput, outcome: AttemptResult): AsyncGenerator<CompletePart> {
  const { request, deployment, adapter, price } = input;
  const body = withDeploymentDefaults(input.body, deployment, request.callType);
  const context: AdapterContext = {
    requestId: request.requestId,
    callType: request.callType,
    stream: request.stream,
    includeUsage: request.includeUsage,
    deployment,
    dropParams: input.dropParams,
    dropped: [],
    body,
    // With defaults added the client's bytes are no longer the body to send.
    ...(body === input.body && !input.bodyRewritten ? { rawBody: request.body } : {}),
    createdSeconds: input.createdSeconds,
    clientHeaders: request.clientHeaders,
    ...(input.conversation !== undefined ? { conversation: input.conversation } : {}),
  };
  const upstreamRequest = withTraceparent(await adapter.buildRequest(context, body), input.traceparent ?? '');
  if (context.dropped.length > 0) input.onDropped(context.dropped);

  const timeoutMs = request.stream ? input.streamTimeoutMs : input.timeoutMs;
  const started = performance.now();
  const exchange = sendUpstream(upstreamRequest, {
    headersTimeoutMs: timeoutMs,
    idleTimeoutMs: request.stream ? input.idleTimeoutMs : input.timeoutMs,
  });
  // The attempt ends early when the client goes away, or when our timer (the whole answer; for streams,
  // the first content) fires.
  let timedOut = false;
  const onClientAbort = () => exchange.abort();
  if (input.signal.aborted) onClientAbort();
  else input.signal.addEventListener('abort', onClientAbort, { once: true });
  let timer: NodeJS.Timeout | undefined = setTimeout(() => {
    timedOut = true;
    exchange.abort();
  }, timeoutMs);
  const stopTimer = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  // Only on the error path: the credentials this attempt used, to be cut out of any provider message.
  const scrub = (message: string | undefined): string | undefined =>
    message === undefined ? undefined : scrubCredentials(message, deploymentCredentials(deployment, upstreamRequest.headers));
  const failure = (error: unknown): unknown => {
    if (timedOut) return new AttemptError('upstream_timeout', undefined, undefined);
    const mapped = toUpstreamError(error);
    if (mapped instanceof AttemptError) return new AttemptError(mapped.code, scrub(mapped.message), mapped.retryAfterMs);
    if (mapped instanceof GatewayError) return new GatewayError(mapped.code, scrub(mapped.message), mapped.details);
    return mapped;
  };

  const startPart: CompletePart = {
    part: {
      $case: 'start',
      start: {
        deploymentId: deployment.id,
        provider: deployment.provider,
        model: deployment.model,
        apiBaseHost: deployment.apiBaseHost,
        attempts: 0,
        upstreamWaitUs: 0,
        cacheHit: false,
        cacheKey: '',
        inputPriceMicros: femtoToMicrosPerToken(price?.input ?? 0),
        outputPriceMicros: femtoToMicrosPerToken(price?.output ?? 0),
        priceJson: input.priceJson,
      },
    },
  };

  try {
    if (!request.stream) {
      // One wait for the whole exchange: status, headers and body arrive together for an answer.
      let raw: Buffer;
      try {
        raw = await exchange.body();
      } catch (error) {
        // An error status whose body broke off is still that error status.
        if (exchange.status < 300 || timedOut || input.signal.aborted) throw failure(error);
        raw = Buffer.alloc(0);
      }
      stopTimer();
      if (exchange.status >= 300) {
        const mapped = adapter.mapError(exchange.status, raw, exchange.headers);
        throw new AttemptError(mapped.code, scrub(mapped.message), mapped.retryAfterMs);
      }
      let parsed;
      try {
        parsed = adapter.parseResponse(context, raw);
      } catch {
        throw new AttemptError('upstream_error', 'The provider sent a response that could not be read.', undefined);
      }
      const usage = parsed.usage ?? { promptTokens: estimatePromptTokens(request.body), completionTokens: 0, cachedTokens: 0, reasoningTokens: 0 };
      outcome.value = { latencyMs: performance.now() - started, usage };
      yield startPart;
      // Usage before the body: the edge sends the response's headers with the body, and they carry its cost.
      yield usagePart(usage, price, parsed.usage === undefined || parsed.usageEstimated === true);
      yield { part: { $case: 'body', body: { json: parsed.body } } };
      outcome.finishReason = parsed.finishReason;
      yield { part: { $case: 'finish', finish: { finishReason: parsed.finishReason } } };
      return;
    }

    try {
      await exchange.started();
    } catch (error) {
      throw failure(error);
    }
    if (exchange.status >= 300) {
      const raw = await exchange.body().catch(() => Buffer.alloc(0));
      const mapped = adapter.mapError(exchange.status, raw, exchange.headers);
      throw new AttemptError(mapped.code, scrub(mapped.message), mapped.retryAfterMs);
    }

    yield* streamAttempt(input, context, exchange, startPart, started, stopTimer, failure, outcome);
  } finally {
    stopTimer();
    input.signal.removeEventListener('abort', onClientAbort);
    // Whatever ended the attempt (a failure, a consumer that stopped reading), nothing is left running.
    exchange.abort();
  }
}

async function* streamAttempt(
  input: AttemptInput,
  context: AdapterContext,
  body: AsyncIterable<Buffer>,
  startPart: CompletePart,
  started: number,
  stopTimer: () => void,
  failure: (error: unknown) => unknown,
  outcome: AttemptResult,
): AsyncGenerator<CompletePart> {
  const { request, adapter, price } = input;
  const decoder = decoderFor(adapter);
  const mapper: StreamMapper = adapter.createStreamMapper(context);
  let sentContent = false;
  let latencyMs = 0;
  const framed = mapper.framed === true;
  const frame = (events: DecodedEvent[]): string => {
    let sse = '';
    for (const event of events) for (const payload of mapper.map(event)) sse += framed ? payload : `data: ${payload}${NEWLINES}`;
    return sse;
  };
  const chunk = (sse: string, contentEvents: number): CompletePart => ({ part: { $case: 'chunk', chunk: { sse: Buffer.from(sse), contentEvents } } });
  const counted = (): TokenUsage =>
    mapper.usage() ?? {
      promptTokens: estimatePromptTokens(request.body),
      completionTokens: mapper.contentChunks,
      cachedTokens: 0,
      reasoningTokens: 0,
    };

  try {
    for await (const bytes of body) {
      const before = mapper.contentChunks;
      const sse = frame(decoder.push(bytes));
      if (sse === '') continue;
      if (!sentContent) {
        sentContent = true;
        stopTimer();
        latencyMs = performance.now() - started;
        yield startPart;
      }
      yield chunk(sse, mapper.contentChunks - before);
    }
    const before = mapper.contentChunks;
    let tail = frame(decoder.end());
    for (const payload of mapper.finish()) tail += framed ? payload : `data: ${payload}${NEWLINES}`;
    if (!mapper.done) throw new GatewayError('upstream_stream_error', 'The provider closed the stream before it finished.');
    if (tail !== '') {
      if (!sentContent) {
        sentContent = true;
        latencyMs = performance.now() - started;
        yield startPart;
      }
      yield chunk(tail, mapper.contentChunks - before);
    }
  } catch (error) {
    if (input.signal.aborted) return;
    const mapped = failure(error);
    if (!sentContent) {
      if (mapped instanceof AttemptError) throw mapped;
      if (mapped instanceof GatewayError) throw new AttemptError(mapped.code, mapped.message, undefined);
      throw mapped;
    }
    // Content already reached the client: no retry is possible. End with what was counted and an error.
    // The client sees a stream that broke (or went silent too long); the cause, whatever it was, is
    // recorded against the deployment.
    const cause = mapped instanceof GatewayError ? mapped.code : 'upstream_stream_error';
    const failed = cause === 'upstream_timeout' ? new GatewayError('upstream_timeout') : new GatewayError('upstream_stream_error');
    outcome.midStreamError = cause;
    yield usagePart(counted(), price, mapper.usage() === undefined);
    yield { part: { $case: 'error', error: { code: failed.code, message: failed.message } } };
    return;
  }
  if (!sentContent) {
    latencyMs = performance.now() - started;
    yield startPart;
  }
  const usage = counted();
  outcome.value = { latencyMs, usage };
  yield usagePart(usage, price, mapper.usage() === undefined);
  outcome.finishReason = mapper.finishReason();
  yield { part: { $case: 'finish', finish: { finishReason: outcome.finishReason } } };
}
