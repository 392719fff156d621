import { randomFillSync } from 'node:crypto';

// Request ids are UUIDv7: unique without coordination and time-ordered, so ledger inserts land at the end
// of the primary-key index instead of all over it. Random bytes come from a pooled buffer because a
// crypto call per id is measurable on the request path.
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;
const HEX: string[] = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

function randomBytes10(): Buffer {
  if (offset + 10 > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const slice = pool.subarray(offset, offset + 10);
  offset += 10;
  return slice;
}

export function uuidv7(now: number = Date.now()): string {
  const random = randomBytes10();
  const bytes = new Array<number>(16);
  // 48-bit big-endian millisecond timestamp.
  let time = now;
  for (let index = 5; index >= 0; index -= 1) {
    bytes[index] = time % 256;
    time = Math.floor(time / 256);
  }
  bytes[6] = 0x70 | (random[0]! & 0x0f);
  bytes[7] = random[1]!;
  bytes[8] = 0x80 | (random[2]! & 0x3f);
  for (let index = 9; index < 16; index += 1) bytes[index] = random[index - 6]!;
  let out = '';
  for (let index = 0; index < 16; index += 1) {
    if (index === 4 || index === 6 || index === 8 || index === 10) out += '-';
    out += HEX[bytes[index]!];
  }
  return out;
}
