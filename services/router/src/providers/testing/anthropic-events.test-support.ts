// Reads Anthropic Messages SSE the way Anthropic's SDK accumulates it, and checks it is well-formed on
// the way: every event's name is its data's type, blocks open and close in index order, nothing follows
// message_stop.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_DIR, listFixtures, loadStreamPayloads, loadTextFixture } from '@sluice/testing';
import { createSseDecoder } from '../shared/sse-decoder.js';

export interface RecordedAnthropicStream {
  name: string;
  /** The stream as Anthropic sends it. */
  bytes: Uint8Array;
  /** The data of each event, in order. */
  payloads: string[];
}

/** Every recorded Anthropic Messages stream: vercel-ai's (re-framed) and the Anthropic SDK's raw SSE. */
export function recordedAnthropicStreams(): RecordedAnthropicStream[] {
  return [
    ...listFixtures('vercel-ai', 'anthropic__', '.chunks.txt').map((name) => {
      const payloads = loadStreamPayloads('vercel-ai', name);
      const bytes = Buffer.from(payloads.map((payload) => `event: ${(JSON.parse(payload) as { type: string }).type}\ndata: ${payload}\n\n`).join(''));
      return { name, bytes, payloads };
    }),
    ...readdirSync(join(FIXTURES_DIR, 'anthropic'))
      .filter((file) => file !== 'LICENSE')
      .map((file) => {
        const raw = loadTextFixture('anthropic', file);
        return { name: `anthropic/${file}`, bytes: Buffer.from(raw), payloads: decodeSse(raw).map((event) => event.data) };
      }),
  ];
}

export interface AssembledBlock {
  type: string;
  text?: string;
  thinking?: string;
  signature?: string;
  id?: string;
  name?: string;
  input?: unknown;
  partialJson?: string;
}

export interface AssembledMessage {
  id: string;
  model: string;
  content: AssembledBlock[];
  stopReason: string | null;
  usage: Record<string, number>;
  eventTypes: string[];
  errors: Array<{ type: string; message: string }>;
}

interface Event {
  type: string;
  index?: number;
  message?: { id: string; model: string; usage?: Record<string, number> };
  content_block?: AssembledBlock & { input?: unknown };
  delta?: { type?: string; text?: string; partial_json?: string; thinking?: string; signature?: string; stop_reason?: string | null };
  usage?: Record<string, number>;
  error?: { type: string; message: string };
}

function parseInput(json: string): unknown {
  if (json === '') return {};
  try {
    return JSON.parse(json) as unknown;
  } catch {
    // A stream cut off by max_tokens ends inside the arguments.
    return json;
  }
}

export function decodeSse(sse: string | Uint8Array): Array<{ event: string | undefined; data: string }> {
  const decoder = createSseDecoder();
  const bytes = typeof sse === 'string' ? Buffer.from(sse) : sse;
  return [...decoder.push(bytes), ...decoder.end()];
}

export function assembleAnthropicEvents(sse: string | Uint8Array): AssembledMessage {
  const out: AssembledMessage = { id: '', model: '', content: [], stopReason: null, usage: {}, eventTypes: [], errors: [] };
  let open = -1;
  let stopped = false;
  for (const { event, data } of decodeSse(sse)) {
    const parsed = JSON.parse(data) as Event;
    if (event !== parsed.type) throw new Error(`event "${event}" carries data of type "${parsed.type}"`);
    if (stopped) throw new Error(`${parsed.type} after message_stop`);
    out.eventTypes.push(parsed.type);
    switch (parsed.type) {
      case 'message_start':
        if (out.id !== '' && out.id === parsed.message!.id) break;
        // A message_start with a new id starts the message over (Anthropic's SDK does the same).
        out.content = [];
        open = -1;
        out.id = parsed.message!.id;
        out.model = parsed.message!.model;
        Object.assign(out.usage, parsed.message!.usage);
        break;
      case 'content_block_start':
        if (open !== -1) throw new Error(`block ${parsed.index} opened while ${open} is open`);
        open = parsed.index!;
        out.content[open] = { ...parsed.content_block! };
        break;
      case 'content_block_delta': {
        if (parsed.index !== open) throw new Error(`delta for block ${parsed.index} while ${open} is open`);
        const block = out.content[open]!;
        const delta = parsed.delta!;
        if (delta.type === 'text_delta') block.text = (block.text ?? '') + delta.text;
        if (delta.type === 'thinking_delta') block.thinking = (block.thinking ?? '') + delta.thinking;
        if (delta.type === 'signature_delta') block.signature = (block.signature ?? '') + delta.signature;
        if (delta.type === 'input_json_delta') block.partialJson = (block.partialJson ?? '') + delta.partial_json;
        break;
      }
      case 'content_block_stop': {
        if (parsed.index !== open) throw new Error(`stop for block ${parsed.index} while ${open} is open`);
        const block = out.content[open]!;
        if (block.type === 'tool_use' && block.partialJson !== undefined) block.input = parseInput(block.partialJson);
        delete block.partialJson;
        open = -1;
        break;
      }
      case 'message_delta':
        if (parsed.delta?.stop_reason !== undefined) out.stopReason = parsed.delta.stop_reason ?? null;
        for (const [key, value] of Object.entries(parsed.usage ?? {})) if (typeof value === 'number') out.usage[key] = value;
        break;
      case 'message_stop':
        stopped = true;
        break;
      case 'error':
        out.errors.push(parsed.error!);
        break;
      default:
        break;
    }
  }
  return out;
}
