import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_DIR } from './repository-paths.js';

// The one loader for recorded provider traffic in ../shared/fixtures.

export const FIXTURES_DIR = join(SHARED_DIR, 'fixtures');

/** Names (without extension) in a fixture folder that start with `prefix`. */
export function listFixtures(folder: string, prefix: string, extension: '.chunks.txt' | '.json' | '.sse' | '.txt'): string[] {
  return readdirSync(join(FIXTURES_DIR, folder))
    .filter((name) => name.startsWith(prefix) && name.endsWith(extension))
    .map((name) => name.slice(0, -extension.length))
    .sort();
}

/** A recorded stream: one event payload per line (the JSON after `data: `, or a Bedrock event). */
export function loadStreamPayloads(folder: string, name: string): string[] {
  return readFileSync(join(FIXTURES_DIR, folder, `${name}.chunks.txt`), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
}

export function loadJsonFixture<T = unknown>(folder: string, name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, folder, `${name}.json`), 'utf8')) as T;
}

export function loadTextFixture(folder: string, file: string): string {
  return readFileSync(join(FIXTURES_DIR, folder, file), 'utf8');
}

/** OpenAI / Gemini framing: `data: <payload>\n\n` per event, then `data: [DONE]` when `done` is set. */
export function frameSse(payloads: string[], done = true): string {
  return payloads.map((payload) => `data: ${payload}\n\n`).join('') + (done ? 'data: [DONE]\n\n' : '');
}

/** Splits bytes into pieces of `size` (7 and 1 in the contract tests) to exercise incremental decoding. */
export function splitBytes(bytes: Uint8Array, size: number): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) pieces.push(bytes.subarray(offset, offset + size));
  return pieces;
}
