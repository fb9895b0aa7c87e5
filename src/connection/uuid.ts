import { randomUUID } from 'node:crypto';

/**
 * A random v4 uuid as one flat string. Node builds `randomUUID()` by concatenation, which V8 keeps
 * as a tree of about 18 cons strings (~580 B); every idle connection holds its uuid for life, so
 * it is copied once into a plain 36-byte string (~56 B).
 */
export function newUuid(): string {
  return Buffer.from(randomUUID(), 'latin1').toString('latin1');
}
