import { randomFillSync } from 'node:crypto';

// Random bytes for 256 uuids at a time (what Node's own randomUUID does), so a uuid costs no
// syscall of its own.
const pool = Buffer.allocUnsafe(16 * 256);
let offset = pool.length;
const text = Buffer.allocUnsafe(36);
const HEX = Buffer.from('0123456789abcdef', 'latin1');

/**
 * A random v4 uuid as one flat 36-byte string. Node builds `randomUUID()` by concatenation, which
 * V8 keeps as a tree of about 18 cons strings (~580 B); every idle connection holds its uuid for
 * life, so it is written into a buffer and read out once as a plain string (~56 B).
 */
export function newUuid(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  let at = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text[at++] = 0x2d; // '-'
    let byte = pool[offset + i];
    if (i === 6)
      byte = (byte & 0x0f) | 0x40; // version 4
    else if (i === 8) byte = (byte & 0x3f) | 0x80; // RFC 4122 variant
    text[at++] = HEX[byte >> 4];
    text[at++] = HEX[byte & 0x0f];
  }
  offset += 16;
  return text.toString('latin1', 0, 36);
}
