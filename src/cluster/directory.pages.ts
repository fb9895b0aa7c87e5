import type { KwsPage } from '../broker/kws-page.interface.js';
import {
  decodeCursor,
  encodeCursor,
  intField,
  invalidCursor,
  nameField,
} from '../broker/page.cursor.js';
import type { ScanPage } from './connection.directory.js';

/**
 * Redis calls one page may make while it finds nothing to keep (empty shards, members of dead
 * nodes): a page stays bounded work, and may come back empty before the end.
 */
export const MAX_SCANS_PER_PAGE = 16;

/** Redis's SCAN cursors are unsigned 64-bit integers: anything else would be a Redis error. */
const MAX_SCAN_CURSOR = 2n ** 64n - 1n;

/**
 * Where a walk is: the shard, Redis's cursor in it and, when the last page stopped inside one
 * Redis batch, the batch's end cursor and the last name it took from the batch (sorted).
 */
export interface ScanPosition {
  shard: number;
  scan: string;
  after: string | null;
  end: string | null;
}

/** Reads one Redis batch: `HSCAN`/`SSCAN` from `scan`, about `count`, in one shard. */
export type ScanReader = (shard: number, scan: string, count: number) => Promise<ScanPage>;

/**
 * One page of at most `count` from Redis SCAN batches, shard after shard. A batch larger than
 * the room left in the page (Redis returns small hashes and sets whole) is cut: its names sorted,
 * the first taken, and the next page asks the same batch again and skips the names it took, as
 * long as the batch ends at the same cursor (then it covers the same slots of the hash table, so
 * whatever stayed in them is in it again). When it does not, nothing is skipped: an entry may
 * come twice, never be lost (SCAN's own guarantee).
 */
export async function readScanPage(
  read: ScanReader,
  shards: number,
  tag: string,
  from: ScanPosition,
  count: number,
): Promise<KwsPage> {
  let at = from;
  const items: string[] = [];
  for (let calls = 0; calls < MAX_SCANS_PER_PAGE && items.length < count; calls++) {
    const batch = await read(at.shard, at.scan, count);
    let found = batch.items;
    const after = at.after;
    if (after !== null && batch.cursor === at.end) found = found.filter((name) => name > after);
    const room = count - items.length;
    if (found.length > room) {
      const taken = Array.from(new Set(found)).sort().slice(0, room);
      items.push(...taken);
      if (taken.length === room) {
        const last = taken[taken.length - 1];
        return { items, cursor: encodeCursor(tag, [at.shard, at.scan, last, batch.cursor]) };
      }
    } else {
      items.push(...found);
    }
    if (batch.cursor !== '0') at = { shard: at.shard, scan: batch.cursor, after: null, end: null };
    else if (at.shard + 1 < shards) at = { shard: at.shard + 1, scan: '0', after: null, end: null };
    else return { items, cursor: '' };
  }
  return { items, cursor: encodeCursor(tag, [at.shard, at.scan, at.after, at.end]) };
}

/**
 * The position a cursor of walk `tag` names over `shards` shards (the start without a cursor);
 * throws `KwsError` for one this walk did not issue, before anything is asked of Redis.
 */
export function scanPosition(cursor: string, tag: string, shards: number): ScanPosition {
  const fields = decodeCursor(cursor, tag);
  if (fields === undefined) return { shard: 0, scan: '0', after: null, end: null };
  const [shard, scan, after, end] = fields;
  const position: ScanPosition = {
    shard: intField(shard, 0, shards - 1),
    scan: scanField(scan),
    after: nameField(after),
    end: end === null ? null : scanField(end),
  };
  if ((position.after === null) !== (position.end === null)) {
    throw invalidCursor('a position this server never issued');
  }
  return position;
}

function scanField(value: unknown): string {
  if (typeof value === 'string' && /^\d{1,20}$/.test(value) && BigInt(value) <= MAX_SCAN_CURSOR) {
    return value;
  }
  throw invalidCursor('a position this server never issued');
}
