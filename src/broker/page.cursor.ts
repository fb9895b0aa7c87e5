import { KwsError } from '../errors/kws.error.js';
import { INVALID_CURSOR, INVALID_PAGE_COUNT } from '../kws.messages.js';

/** Entries per page when the caller does not say (the cluster's Redis page, too). */
export const DEFAULT_PAGE_COUNT = 250;
/** The most a page may hold: one page stays one short piece of work, wherever it is read. */
export const MAX_PAGE_COUNT = 1_000;
/** A cursor carries at most a position and one name (128 characters): longer is forged. */
const MAX_CURSOR_LENGTH = 1_024;

/** The page size of a query: `count`, or the default; throws `KwsError` outside 1..1,000. */
export function pageCount(count: unknown): number {
  if (count === undefined) return DEFAULT_PAGE_COUNT;
  if (
    typeof count !== 'number' ||
    !Number.isInteger(count) ||
    count < 1 ||
    count > MAX_PAGE_COUNT
  ) {
    throw new KwsError(INVALID_PAGE_COUNT(count, MAX_PAGE_COUNT));
  }
  return count;
}

/**
 * The walk a cursor belongs to: who issued it (`broker`), over what (rooms, or one room's members,
 * named by a hash), so a cursor of another walk is refused instead of read as a position of this one.
 */
export function walkTag(broker: string, room?: string): string {
  if (room === undefined) return `${broker}:rooms`;
  // FNV-1a: a room's cursor is refused for another room without carrying the name.
  let hash = 0x811c9dc5;
  for (let i = 0; i < room.length; i++) hash = Math.imul(hash ^ room.charCodeAt(i), 0x01000193);
  return `${broker}:room:${(hash >>> 0).toString(36)}`;
}

/** An opaque, URL-safe cursor: the walk's tag and its position. */
export function encodeCursor(tag: string, position: ReadonlyArray<string | number | null>): string {
  return Buffer.from(JSON.stringify([tag, ...position])).toString('base64url');
}

/**
 * The position in a cursor of walk `tag`, or undefined for a new walk (no cursor, or '').
 * Throws `KwsError` for anything this walk did not issue; the broker checks the fields.
 */
export function decodeCursor(cursor: unknown, tag: string): unknown[] | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  if (typeof cursor !== 'string') throw invalidCursor('not a string');
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[\w-]+$/.test(cursor)) {
    throw invalidCursor('not one this server issued');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor('not one this server issued');
  }
  if (!Array.isArray(parsed) || typeof parsed[0] !== 'string') {
    throw invalidCursor('not one this server issued');
  }
  if (parsed[0] !== tag) {
    throw invalidCursor(
      'it belongs to another walk: another room, another listing or another broker',
    );
  }
  return parsed.slice(1);
}

/** The `KwsError` of a cursor that cannot be read. */
export function invalidCursor(why: string): KwsError {
  return new KwsError(INVALID_CURSOR(why));
}

/** An integer field of a cursor within `[min, max]`; throws `KwsError` otherwise. */
export function intField(value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidCursor('a position this server never issued');
  }
  return value;
}

/** A name field of a cursor (a room or a uuid), or null. */
export function nameField(value: unknown): string | null {
  if (value === null || (typeof value === 'string' && value.length > 0)) return value;
  throw invalidCursor('a position this server never issued');
}
