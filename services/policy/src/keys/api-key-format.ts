import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

// A generated key is "sk-" + 24 random base62 characters (142 bits) + a 6-character base62 CRC32 of
// those 24. The checksum lets policy refuse a mistyped or made-up key before it looks anything up, and
// lets secret scanners recognise a real key offline. "sk-" keeps the shape LiteLLM and OpenAI clients
// expect.

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY_LENGTH = 24;
const CHECKSUM_LENGTH = 6;
const PREFIX = 'sk-';
export const API_KEY_LENGTH = PREFIX.length + BODY_LENGTH + CHECKSUM_LENGTH;
const SHAPE = new RegExp(`^sk-[0-9A-Za-z]{${BODY_LENGTH + CHECKSUM_LENGTH}}$`);
// The largest multiple of 62 below 256: bytes at or above it are dropped so every character is uniform.
const UNBIASED_LIMIT = 248;

function base62(value: number, length: number): string {
  let out = '';
  let rest = value;
  for (let index = 0; index < length; index += 1) {
    out = ALPHABET[rest % 62]! + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

function checksum(body: string): string {
  return base62(crc32(body), CHECKSUM_LENGTH);
}

export function generateApiKey(): string {
  let body = '';
  while (body.length < BODY_LENGTH) {
    for (const byte of randomBytes(32)) {
      if (byte < UNBIASED_LIMIT && body.length < BODY_LENGTH) body += ALPHABET[byte % 62];
    }
  }
  return `${PREFIX}${body}${checksum(body)}`;
}

/** Longest key looked up at all: anything longer is not a key anyone was given. */
export const MAX_API_KEY_LENGTH = 256;

/**
 * `sluice`: generated here, checksum verified. `malformed`: refused without a lookup (Sluice's shape
 * with a wrong checksum, or not an `sk-` key). `other`: an `sk-` key of another format (a key imported
 * from LiteLLM, or one an admin chose), which only a lookup can tell.
 */
export type ApiKeyFormat = 'sluice' | 'other' | 'malformed';

export function apiKeyFormat(key: string): ApiKeyFormat {
  if (key.length === API_KEY_LENGTH && SHAPE.test(key)) return isWellFormedApiKey(key) ? 'sluice' : 'malformed';
  return key.startsWith(PREFIX) && key.length > PREFIX.length && key.length <= MAX_API_KEY_LENGTH ? 'other' : 'malformed';
}

/** True when `key` has the generated shape and its checksum matches. Costs no lookup. */
export function isWellFormedApiKey(key: string): boolean {
  if (key.length !== API_KEY_LENGTH || !SHAPE.test(key)) return false;
  const body = key.slice(PREFIX.length, PREFIX.length + BODY_LENGTH);
  return key.slice(PREFIX.length + BODY_LENGTH) === checksum(body);
}
