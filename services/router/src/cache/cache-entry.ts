import type { TokenUsage } from '../providers/provider-adapter.js';

/** What is kept next to a cached answer: where it came from, what it used, and when it was stored. */
export interface CacheEntryHeader {
  /** Format version; an entry of another version is a miss. */
  v: 1;
  storedAtMs: number;
  deploymentId: string;
  provider: string;
  model: string;
  apiBaseHost: string;
  usage: TokenUsage;
  usageEstimated: boolean;
  finishReason: string;
}

export interface CacheEntry {
  header: CacheEntryHeader;
  /** The answer as a non-streaming OpenAI body (chat.completion, text_completion or an embeddings list). */
  body: Buffer;
}

const NEWLINE = 0x0a;

/**
 * One line of JSON for the header, then the body's bytes as they are: a non-streaming hit sends those
 * bytes without parsing them. JSON.stringify never writes a raw newline, so the first one ends the header.
 */
export function encodeEntry(entry: CacheEntry): Buffer {
  return Buffer.concat([Buffer.from(`${JSON.stringify(entry.header)}\n`), entry.body]);
}

export function decodeEntry(bytes: Buffer): CacheEntry | undefined {
  const end = bytes.indexOf(NEWLINE);
  if (end < 0) return undefined;
  try {
    const header = JSON.parse(bytes.subarray(0, end).toString('utf8')) as CacheEntryHeader;
    if (header.v !== 1) return undefined;
    return { header, body: bytes.subarray(end + 1) };
  } catch {
    return undefined;
  }
}
