// Bodies are parsed, validated, stored and re-serialised by recursive code in every service (the
// router, protobuf Structs, Postgres jsonb): a body nested thousands of levels deep overflows a stack
// somewhere far from the edge. It is refused here, before anything else reads it.

/** Deeper than any real request (tool schemas included) and far below what any consumer can take. */
export const MAX_JSON_DEPTH = 64;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Opening brackets in the bytes, counted natively and only up to `limit + 1`. */
function countOpenings(bytes: Uint8Array, byte: number, limit: number): number {
  let count = 0;
  for (let at = bytes.indexOf(byte); at !== -1 && count <= limit; at = bytes.indexOf(byte, at + 1)) count += 1;
  return count;
}

/**
 * True when the JSON text nests objects and arrays deeper than `limit`. Most bodies hold fewer opening
 * brackets than the limit, which bounds their depth: they are settled by two native searches, and only
 * the others are scanned byte by byte (brackets inside strings do not count).
 */
export function jsonNestingExceeds(bytes: Uint8Array, limit = MAX_JSON_DEPTH): boolean {
  if (countOpenings(bytes, OPEN_BRACE, limit) + countOpenings(bytes, OPEN_BRACKET, limit) <= limit) return false;
  let depth = 0;
  let inString = false;
  for (let index = 0; index < bytes.length; index += 1) {
    const byte = bytes[index];
    if (inString) {
      if (byte === BACKSLASH) index += 1;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      depth += 1;
      if (depth > limit) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth -= 1;
    }
  }
  return false;
}
