import type { KwsPage } from '../broker/kws-page.interface.js';
import { decodeCursor, encodeCursor, invalidCursor, walkTag } from '../broker/page.cursor.js';

/**
 * A page of a whole list, for a broker without paged reads (a custom one): the list sorted by
 * name, the names after the cursor's. Sorted, so an entry present for the whole walk comes exactly
 * once whatever else comes and goes; each page costs the whole list.
 */
export function sortedPage(
  all: readonly string[],
  cursor: string,
  count: number,
  room?: string,
): KwsPage {
  const tag = walkTag('list', room);
  const fields = decodeCursor(cursor, tag);
  let start = 0;
  const sorted = Array.from(new Set(all)).sort();
  if (fields !== undefined) {
    const after = fields[0];
    if (typeof after !== 'string' || after.length === 0) {
      throw invalidCursor('a position this server never issued');
    }
    start = firstAfter(sorted, after);
  }
  const items = sorted.slice(start, start + count);
  const more = start + count < sorted.length;
  return { items, cursor: more ? encodeCursor(tag, [items[items.length - 1]]) : '' };
}

/** The index of the first name above `name` in a sorted list. */
function firstAfter(sorted: readonly string[], name: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid] <= name) low = mid + 1;
    else high = mid;
  }
  return low;
}
