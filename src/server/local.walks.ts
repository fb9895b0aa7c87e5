/** @internal One page of a local walk: the names, the position of the last (`done` at the end). */
export interface KwsLocalPage {
  items: string[];
  last: number;
  done: boolean;
}

/** A walk between two pages: its map's live iterator and the entry it already read past the page. */
interface OpenWalk {
  map: Map<unknown, unknown>;
  entries: Iterator<[unknown, unknown]>;
  ahead: IteratorResult<[unknown, unknown]>;
}

/** Walks kept open at once; an older one, when asked for again, skips from the start. */
const MAX_OPEN_WALKS = 32;

/**
 * @internal Paged walks of the pool's numbered maps (rooms, a room's members). Every entry is
 * numbered when inserted and maps keep insertion order, so numbers rise along a map and a page
 * resumes "after number N" whatever was removed since. The next page of a walk continues the same
 * live iterator (a Map iterator skips removed entries and reaches added ones), so a whole walk costs
 * its length, not its length squared; a walk not kept open skips the entries before its position.
 */
export class KwsLocalWalks {
  /** Position of a page's last entry -> its walk (positions are unique across the pool's maps). */
  private readonly open = new Map<number, OpenWalk>();

  page<K, V>(
    map: Map<K, V>,
    seqOf: (key: K, value: V) => number,
    nameOf: (key: K) => string,
    after: number,
    count: number,
  ): KwsLocalPage {
    const kept = this.open.get(after);
    if (kept !== undefined) this.open.delete(after);
    const reuse = kept !== undefined && kept.map === map;
    const entries = reuse
      ? (kept.entries as Iterator<[K, V]>)
      : (map.entries() as Iterator<[K, V]>);
    let next = reuse ? (kept.ahead as IteratorResult<[K, V]>) : entries.next();
    // The entry read ahead may have gone (or gone and come back, numbered anew) since.
    if (reuse && !next.done && map.get(next.value[0]) !== next.value[1]) next = entries.next();
    const items: string[] = [];
    let last = after;
    for (; !next.done; next = entries.next()) {
      const [key, value] = next.value;
      const seq = seqOf(key, value);
      if (seq <= after) continue;
      if (items.length === count) {
        this.keep(last, { map, entries, ahead: next });
        return { items, last, done: false };
      }
      items.push(nameOf(key));
      last = seq;
    }
    return { items, last, done: true };
  }

  private keep(position: number, walk: OpenWalk): void {
    if (this.open.size >= MAX_OPEN_WALKS) this.open.delete(this.open.keys().next().value!);
    this.open.set(position, walk);
  }
}
