import { describe, expect, it } from 'vitest';
import { KwsLocalWalks } from '../../src/server/local.walks.js';

/** A numbered map as the pool keeps them: name -> its position, rising in insertion order. */
function numbered(count: number, from = 1): Map<string, number> {
  return new Map(Array.from({ length: count }, (_, i) => [`r${from + i}`, from + i]));
}

describe('local paged walks (the pool behind roomsPage / roomMembersPage)', () => {
  it('a whole walk reads each entry about once, not once per page before it', () => {
    const walks = new KwsLocalWalks();
    const rooms = numbered(20_000);
    let reads = 0;
    const seqOf = (_: string, seq: number): number => (reads++, seq);
    const seen: string[] = [];
    let after = 0;
    for (;;) {
      const page = walks.page(rooms, seqOf, (name) => name, after, 250);
      seen.push(...page.items);
      if (page.done) break;
      after = page.last;
    }
    expect(seen).toHaveLength(20_000);
    expect(new Set(seen).size).toBe(20_000);
    // Skipping from the start on every page would read about 20,000 x 80 / 2 = 800,000.
    expect(reads).toBeLessThanOrEqual(20_000 + 80);
  });

  it('a continued walk sees removals and additions made between its pages', () => {
    const walks = new KwsLocalWalks();
    const rooms = numbered(10);
    const first = walks.page(
      rooms,
      (_, seq) => seq,
      (name) => name,
      0,
      4,
    );
    expect(first.items).toEqual(['r1', 'r2', 'r3', 'r4']);
    rooms.delete('r5'); // the entry the walk had already read ahead
    rooms.delete('r7');
    rooms.set('r11', 11);
    const rest = walks.page(
      rooms,
      (_, seq) => seq,
      (name) => name,
      first.last,
      100,
    );
    expect(rest).toEqual({ items: ['r6', 'r8', 'r9', 'r10', 'r11'], last: 11, done: true });
  });

  it('walks past the kept ones, or of another map at the same position, start over and stay exact', () => {
    const walks = new KwsLocalWalks();
    const maps = Array.from({ length: 40 }, () => numbered(6));
    const firsts = maps.map((map) =>
      walks.page(
        map,
        (_, seq) => seq,
        (n) => n,
        0,
        3,
      ),
    );
    // 40 walks open at position 3: one is kept per position, and at most 32 in all.
    for (const [i, map] of maps.entries()) {
      const next = walks.page(
        map,
        (_, seq) => seq,
        (n) => n,
        firsts[i].last,
        3,
      );
      expect(next.items).toEqual(['r4', 'r5', 'r6']);
    }
  });
});
