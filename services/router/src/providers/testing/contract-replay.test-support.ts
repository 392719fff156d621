// Shared by the provider contract tests: replays recorded upstream bytes through an adapter's decoder
// and stream mapper the way the router does, and assembles the OpenAI chunks it produced.
import { CallType } from '@sluice/proto';
import { splitBytes } from '@sluice/testing';
import type { AdapterContext, DecodedEvent, Deployment, ProviderAdapter } from '../provider-adapter.js';
import { createAwsEventStreamDecoder, createEventStreamCodec } from '../shared/aws-event-stream-decoder.js';
import { createNdjsonDecoder } from '../shared/ndjson-decoder.js';
import { createSseDecoder } from '../shared/sse-decoder.js';

export function testDeployment(provider: string, model: string, overrides: Partial<Deployment> = {}): Deployment {
  const apiBase = overrides.apiBase ?? 'https://provider.example';
  return {
    id: `${provider}-test`,
    modelGroup: 'test-group',
    provider,
    model,
    apiBase,
    apiBaseHost: new URL(apiBase).host,
    apiKey: 'sk-provider-key',
    params: { model: `${provider}/${model}` },
    info: {},
    ...overrides,
  };
}

export function testContext(deployment: Deployment, overrides: Partial<AdapterContext> = {}): AdapterContext {
  return {
    requestId: '0190c3a0-0000-7000-8000-000000000001',
    callType: CallType.CALL_TYPE_CHAT_COMPLETION,
    stream: true,
    includeUsage: true,
    deployment,
    dropParams: false,
    dropped: [],
    body: {},
    createdSeconds: 1_700_000_000,
    ...overrides,
  };
}

export interface ReplayResult {
  /** Every OpenAI chunk payload, in order. */
  payloads: string[];
  done: boolean;
  usage: ReturnType<ReturnType<ProviderAdapter['createStreamMapper']>['usage']>;
  finishReason: string;
  contentChunks: number;
}

function decoderFor(adapter: ProviderAdapter): { push(bytes: Uint8Array): DecodedEvent[]; end(): DecodedEvent[] } {
  if (adapter.framing === 'aws-eventstream') return createAwsEventStreamDecoder();
  if (adapter.framing === 'ndjson') return createNdjsonDecoder();
  return createSseDecoder();
}

/** Feeds `bytes` in pieces of `pieceSize` (whole when undefined) through the adapter's decoder and mapper. */
export function replay(adapter: ProviderAdapter, context: AdapterContext, bytes: Uint8Array, pieceSize?: number): ReplayResult {
  const decoder = decoderFor(adapter);
  const mapper = adapter.createStreamMapper(context);
  const payloads: string[] = [];
  const pieces = pieceSize === undefined ? [bytes] : splitBytes(bytes, pieceSize);
  for (const piece of pieces) for (const event of decoder.push(piece)) payloads.push(...mapper.map(event));
  for (const event of decoder.end()) payloads.push(...mapper.map(event));
  payloads.push(...mapper.finish());
  return { payloads, done: mapper.done, usage: mapper.usage(), finishReason: mapper.finishReason(), contentChunks: mapper.contentChunks };
}

/** Replays whole, in 7-byte pieces and byte by byte; returns the whole replay after checking all three agree. */
export function replayThreeWays(adapter: ProviderAdapter, context: () => AdapterContext, bytes: Uint8Array): { whole: ReplayResult; seven: ReplayResult; single: ReplayResult } {
  return { whole: replay(adapter, context(), bytes), seven: replay(adapter, context(), bytes, 7), single: replay(adapter, context(), bytes, 1) };
}

export interface AssembledStream {
  text: string;
  reasoning: string;
  toolCalls: Array<{ index: number; id: string; name: string; arguments: string }>;
  finishReason: string | undefined;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | undefined;
  roles: string[];
}

interface Chunk {
  object?: string;
  choices: Array<{
    index: number;
    delta: { role?: string; content?: string | null; reasoning_content?: string; tool_calls?: Array<{ index: number; id?: string; function?: { name?: string; arguments?: string } }> };
    finish_reason: string | null;
  }>;
  usage?: AssembledStream['usage'] | null;
}

/** What an OpenAI client would assemble from the chunks. */
export function assemble(payloads: string[]): AssembledStream {
  const out: AssembledStream = { text: '', reasoning: '', toolCalls: [], finishReason: undefined, usage: undefined, roles: [] };
  for (const payload of payloads) {
    const chunk = JSON.parse(payload) as Chunk;
    if (chunk.usage) out.usage = chunk.usage;
    for (const choice of chunk.choices) {
      if (choice.delta.role) out.roles.push(choice.delta.role);
      out.text += choice.delta.content ?? '';
      out.reasoning += choice.delta.reasoning_content ?? '';
      for (const call of choice.delta.tool_calls ?? []) {
        let entry = out.toolCalls.find((existing) => existing.index === call.index);
        if (!entry) {
          entry = { index: call.index, id: call.id ?? '', name: call.function?.name ?? '', arguments: '' };
          out.toolCalls.push(entry);
        } else if (call.id && call.id !== entry.id) {
          throw new Error(`tool call ${call.index} changed its id from ${entry.id} to ${call.id}`);
        }
        entry.arguments += call.function?.arguments ?? '';
      }
      if (choice.finish_reason) out.finishReason = choice.finish_reason;
    }
  }
  return out;
}

/** `data: <payload>\n\n` framing (OpenAI, Gemini). */
export function sseBytes(payloads: string[], done = false): Uint8Array {
  return Buffer.from(payloads.map((payload) => `data: ${payload}\n\n`).join('') + (done ? 'data: [DONE]\n\n' : ''));
}

/** Anthropic framing: `event: <type>\ndata: <payload>\n\n`. */
export function anthropicSseBytes(payloads: string[]): Uint8Array {
  return Buffer.from(payloads.map((payload) => `event: ${(JSON.parse(payload) as { type: string }).type}\ndata: ${payload}\n\n`).join(''));
}

/** Bedrock framing: each recorded `{"<eventType>": payload}` line as a binary event-stream message. */
export function bedrockEventStreamBytes(lines: string[]): Uint8Array {
  const codec = createEventStreamCodec();
  const frames = lines.map((line) => {
    const event = JSON.parse(line) as Record<string, unknown>;
    const [type, payload] = Object.entries(event)[0]!;
    return codec.encode({
      headers: {
        ':event-type': { type: 'string', value: type },
        ':content-type': { type: 'string', value: 'application/json' },
        ':message-type': { type: 'string', value: 'event' },
      },
      body: Buffer.from(JSON.stringify(payload)),
    });
  });
  return Buffer.concat(frames);
}
