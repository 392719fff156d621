import { performance } from 'node:perf_hooks';
import { GatewayError, type Logger } from '@sluice/common';
import type { CompletePart, CompleteRequest } from '@sluice/proto';
import { costMicros, priceFor } from '../pricing/cost.js';
import type { AdapterContext, DecodedEvent, Deployment, ProviderAdapter, TokenUsage } from '../providers/provider-adapter.js';
import { providerFor } from '../providers/provider-registry.js';
import { createSseDecoder } from '../providers/shared/sse-decoder.js';
import { sendUpstream, toUpstreamError } from '../providers/shared/upstream-client.js';
import type { ModelRegistry } from './model-registry.js';

export interface CompleteDependencies {
  registry: ModelRegistry;
  logger: Logger;
  dropParams: boolean;
  /** Defaults when a deployment sets none (router_settings.timeout / stream_timeout), milliseconds. */
  timeoutMs: number;
  streamTimeoutMs: number;
  idleTimeoutMs: number;
}

const NEWLINES = '\n\n';

function decoderFor(adapter: ProviderAdapter): { push(bytes: Uint8Array): DecodedEvent[]; end(): DecodedEvent[] } {
  if (adapter.framing === 'sse') return createSseDecoder();
  throw new GatewayError('internal_error', `framing ${adapter.framing} is not available`);
}

async function readAll(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of body) parts.push(part);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

function estimatePromptTokens(body: Buffer): number {
  // Roughly four bytes of JSON per token; only used when the provider never reports usage.
  return Math.ceil(body.length / 4);
}

function chunkPart(sse: string, contentEvents: number): CompletePart {
  return { part: { $case: 'chunk', chunk: { sse: Buffer.from(sse), contentEvents } } };
}

function usagePart(usage: TokenUsage, cost: number, estimated: boolean): CompletePart {
  return { part: { $case: 'usage', usage: { ...usage, costMicros: cost, estimated } } };
}

/**
 * One Complete call: pick a deployment, call it, and stream OpenAI-shaped parts back. Until the first
 * content part is yielded a failure is thrown (the edge turns it into an HTTP error); after that it is a
 * terminal StreamError part, preceded by the usage counted so far.
 */
export function createCompleteCall(dependencies: CompleteDependencies) {
  const { registry } = dependencies;

  return async function* complete(request: CompleteRequest, signal: AbortSignal): AsyncGenerator<CompletePart> {
    const deployments = registry.group(request.modelGroup);
    if (!deployments || deployments.length === 0) {
      throw new GatewayError('model_not_found', `The model "${request.modelGroup}" does not exist.`);
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(request.body.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new GatewayError('invalid_json');
    }
    const deployment: Deployment = deployments[Math.floor(Math.random() * deployments.length)]!;
    const provider = providerFor(deployment.provider)!;
    const adapter = provider.adapter;
    const context: AdapterContext = {
      requestId: request.requestId,
      callType: request.callType,
      stream: request.stream,
      includeUsage: request.includeUsage,
      deployment,
      dropParams: dependencies.dropParams,
    };
    const price = priceFor(deployment);
    const upstream = adapter.buildRequest(context, body);
    const started = performance.now();
    const seconds = (value: number | undefined, fallback: number) => (value === undefined ? fallback : value * 1000);
    const response = await sendUpstream(upstream, {
      signal,
      headersTimeoutMs: request.stream
        ? seconds(deployment.params.stream_timeout, dependencies.streamTimeoutMs)
        : seconds(deployment.params.timeout, dependencies.timeoutMs),
      idleTimeoutMs: dependencies.idleTimeoutMs,
    });

    const startPart = (waitMs: number): CompletePart => ({
      part: {
        $case: 'start',
        start: {
          deploymentId: deployment.id,
          provider: deployment.provider,
          model: deployment.model,
          apiBaseHost: new URL(deployment.apiBase).host,
          attempts: 1,
          upstreamWaitUs: Math.round(waitMs * 1000),
          cacheHit: false,
          cacheKey: '',
          inputPriceMicros: price?.input ?? 0,
          outputPriceMicros: price?.output ?? 0,
        },
      },
    });

    if (response.status >= 300) {
      const raw = await readAll(response.body).catch(() => Buffer.alloc(0));
      const failure = adapter.mapError(response.status, raw, response.headers);
      throw new GatewayError(failure.code, failure.message, {
        ...(failure.retryAfterMs !== undefined ? { retryAfterSeconds: Math.ceil(failure.retryAfterMs / 1000) } : {}),
      });
    }

    if (!request.stream) {
      const raw = await readAll(response.body).catch((error: unknown) => {
        throw toUpstreamError(error);
      });
      const waited = performance.now() - started;
      let parsed;
      try {
        parsed = adapter.parseResponse(context, raw);
      } catch {
        throw new GatewayError('upstream_error', 'The provider sent a response that could not be read.');
      }
      const usage = parsed.usage ?? { promptTokens: estimatePromptTokens(request.body), completionTokens: 0, cachedTokens: 0, reasoningTokens: 0 };
      yield startPart(waited);
      yield { part: { $case: 'body', body: { json: parsed.body } } };
      yield usagePart(usage, costMicros(usage, price), parsed.usage === undefined);
      yield { part: { $case: 'finish', finish: { finishReason: parsed.finishReason } } };
      return;
    }

    const decoder = decoderFor(adapter);
    const mapper = adapter.createStreamMapper(context);
    let sentContent = false;
    const frame = (events: DecodedEvent[]): string => {
      let sse = '';
      for (const event of events) for (const payload of mapper.map(event)) sse += `data: ${payload}${NEWLINES}`;
      return sse;
    };
    try {
      for await (const bytes of response.body) {
        const before = mapper.contentChunks;
        const sse = frame(decoder.push(bytes));
        if (sse === '') continue;
        if (!sentContent) {
          sentContent = true;
          yield startPart(performance.now() - started);
        }
        yield chunkPart(sse, mapper.contentChunks - before);
      }
      const before = mapper.contentChunks;
      let tail = frame(decoder.end());
      for (const payload of mapper.finish()) tail += `data: ${payload}${NEWLINES}`;
      if (!mapper.done) throw new GatewayError('upstream_stream_error', 'The provider closed the stream before it finished.');
      if (tail !== '') {
        if (!sentContent) {
          sentContent = true;
          yield startPart(performance.now() - started);
        }
        yield chunkPart(tail, mapper.contentChunks - before);
      }
    } catch (error) {
      if (signal.aborted) return;
      const failure = toUpstreamError(error);
      if (!sentContent) throw failure;
      const gatewayError = failure instanceof GatewayError ? failure : new GatewayError('upstream_stream_error');
      const partial = mapper.usage() ?? {
        promptTokens: estimatePromptTokens(request.body),
        completionTokens: mapper.contentChunks,
        cachedTokens: 0,
        reasoningTokens: 0,
      };
      yield usagePart(partial, costMicros(partial, price), mapper.usage() === undefined);
      yield { part: { $case: 'error', error: { code: gatewayError.code, message: gatewayError.message } } };
      return;
    }
    if (!sentContent) yield startPart(performance.now() - started);
    const reported = mapper.usage();
    const usage = reported ?? {
      promptTokens: estimatePromptTokens(request.body),
      completionTokens: mapper.contentChunks,
      cachedTokens: 0,
      reasoningTokens: 0,
    };
    yield usagePart(usage, costMicros(usage, price), reported === undefined);
    yield { part: { $case: 'finish', finish: { finishReason: mapper.finishReason() } } };
  };
}
