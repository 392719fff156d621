import type { DecodedEvent } from '../provider-adapter.js';

/** Incremental newline-delimited JSON decoding (Ollama's streams): one event per non-empty line. */
export function createNdjsonDecoder(): { push(bytes: Uint8Array): DecodedEvent[]; end(): DecodedEvent[] } {
  const text = new TextDecoder('utf-8');
  let pending = '';
  const lines = (chunk: string, final: boolean): DecodedEvent[] => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = final ? '' : (parts.pop() ?? '');
    return parts.map((line) => line.trim()).filter((line) => line !== '').map((data) => ({ event: undefined, data }));
  };
  return {
    push: (bytes) => lines(text.decode(bytes, { stream: true }), false),
    end: () => lines(text.decode(), true),
  };
}
