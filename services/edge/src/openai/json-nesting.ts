// Bodies are parsed, validated, stored and re-serialised by recursive code in every service (the
// router, protobuf Structs, Postgres jsonb): a body nested thousands of levels deep overflows a stack
// somewhere far from the edge. It is refused here, before anything else reads it.

/** Deeper than any real request (tool schemas included) and far below what any consumer can take. */
export const MAX_JSON_DEPTH = 64;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;

/** Opening brackets in the bytes, counted natively and only up to `limit + 1`. */
function countOpenings(bytes: Uint8Array, byte: number, limit: number): number {
  let count = 0;
  for (let at = bytes.indexOf(byte); at !== -1 && count <= limit; at = bytes.indexOf(byte, at + 1)) count += 1;
  return count;
}

/** Recursion is bounded by `remaining`, so it never goes deeper than the limit itself. */
function valueExceeds(value: unknown, remaining: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (remaining === 0) return true;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) if (valueExceeds(value[index], remaining - 1)) return true;
    return false;
  }
  for (const key in value) if (valueExceeds((value as Record<string, unknown>)[key], remaining - 1)) return true;
  return false;
}

/**
 * True when the parsed body nests objects and arrays deeper than `limit`. Most bodies hold fewer opening
 * brackets than the limit, which bounds their depth: two native searches of the bytes settle them. The
 * others are walked node by node (never byte by byte: a body is mostly long strings, which cost nothing
 * here). V8's JSON.parse itself is not recursive, so parsing first is safe.
 */
export function jsonNestingExceeds(bytes: Uint8Array, parsed: unknown, limit = MAX_JSON_DEPTH): boolean {
  if (countOpenings(bytes, OPEN_BRACE, limit) + countOpenings(bytes, OPEN_BRACKET, limit) <= limit) return false;
  return valueExceeds(parsed, limit);
}
