import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KwsError, KwsServer, type KwsPage } from '../../src/index.js';
import { echoApp } from '../apps/echo.app.js';
import { useEchoUsers } from '../helpers/echo-users.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

/** Reads every page of a walk; `between` runs after each page (changes during the walk). */
async function walkPages(
  read: (cursor: string) => Promise<KwsPage>,
  between: (page: number) => void = () => undefined,
): Promise<KwsPage[]> {
  const pages: KwsPage[] = [];
  let cursor = '';
  do {
    const page = await read(cursor);
    pages.push(page);
    between(pages.length);
    cursor = page.cursor;
  } while (cursor !== '');
  return pages;
}

/** A cursor's fields (the test knows the format: it forges cursors). */
function fieldsOf(cursor: string): unknown[] {
  return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
}
const forge = (fields: unknown[]) => Buffer.from(JSON.stringify(fields)).toString('base64url');

describe('paged rooms and room members on one node (local broker)', () => {
  const users = useEchoUsers();

  it('pages hold at most count, end with an empty cursor, and together list every entry once', async () => {
    const { kws } = await users.open(23);
    for (const [i, k] of kws.entries()) k.join('big', `own-${i}`);
    const server = users.server;
    const members = await walkPages((cursor) =>
      server.roomMembersPage('big', { cursor, count: 5 }),
    );
    expect(members.map((page) => page.items.length)).toEqual([5, 5, 5, 5, 3]);
    expect(members.flatMap((page) => page.items).sort()).toEqual(kws.map((k) => k.uuid).sort());
    const rooms = await walkPages((cursor) => server.roomsPage({ cursor, count: 10 }));
    expect(rooms.every((page) => page.items.length <= 10)).toBe(true);
    expect(rooms.flatMap((page) => page.items).sort()).toEqual(
      ['big', ...kws.map((_, i) => `own-${i}`)].sort(),
    );
    // The default page is 250: one page, already the end.
    expect(await server.roomMembersPage('big')).toEqual({
      items: kws.map((k) => k.uuid),
      cursor: '',
    });
    expect(await server.roomMembersPage('nobody-here')).toEqual({ items: [], cursor: '' });
  });

  it('a walk while members leave and join: everyone present throughout comes exactly once', async () => {
    const { kws } = await users.open(30);
    const [stay, go, late] = [kws.slice(0, 20), kws.slice(20, 26), kws.slice(26)];
    for (const k of [...stay, ...go]) k.join('walk');
    const seen: string[] = [];
    await walkPages(
      async (cursor) => {
        const page = await users.server.roomMembersPage('walk', { cursor, count: 4 });
        seen.push(...page.items);
        return page;
      },
      (page) => {
        if (page !== 1) return;
        // Members already listed and members not yet listed leave; a plain index into the
        // room would now skip as many entries as left before it.
        for (const k of go) k.leave('walk');
        stay[0].leave('walk');
        stay[0].join('walk');
        for (const k of late) k.join('walk');
      },
    );
    // No duplicates, but for the one that left and came back during the walk: listed before it
    // left, and again as the newer member it became (documented).
    const others = seen.filter((uuid) => uuid !== stay[0].uuid);
    expect(new Set(others).size).toBe(others.length);
    expect(seen.filter((uuid) => uuid === stay[0].uuid)).toHaveLength(2);
    for (const k of stay.slice(1)) expect(seen).toContain(k.uuid);
    // Those who joined during the walk, after its position, are listed too (they come last).
    for (const k of late) expect(seen).toContain(k.uuid);
  });

  it('a walk of rooms while rooms empty and new ones begin: every lasting room exactly once', async () => {
    const { kws } = await users.open(12);
    for (const [i, k] of kws.entries()) k.join(`room-${i}`);
    const seen: string[] = [];
    await walkPages(
      async (cursor) => {
        const page = await users.server.roomsPage({ cursor, count: 3 });
        seen.push(...page.items);
        return page;
      },
      (page) => {
        if (page !== 2) return;
        // Rooms 0..5 were listed: 1, 2 and 7 end (before and after the position), 12 begins.
        for (const i of [1, 2, 7]) kws[i].leave(`room-${i}`);
        kws[0].join('room-12');
      },
    );
    expect(new Set(seen).size).toBe(seen.length);
    for (const i of [0, 3, 4, 5, 6, 8, 9, 10, 11]) expect(seen).toContain(`room-${i}`);
    expect(seen).toContain('room-12');
    expect(seen).not.toContain('room-7');
  });

  it('eachRoomMember and eachRoom walk everything a page at a time; leaving the loop stops it', async () => {
    const { kws } = await users.open(9);
    for (const k of kws) k.join('loop');
    const all: string[] = [];
    for await (const uuid of users.server.eachRoomMember('loop', { count: 2 })) all.push(uuid);
    expect(all).toEqual(kws.map((k) => k.uuid));
    const rooms: string[] = [];
    for await (const room of users.server.eachRoom()) rooms.push(room);
    expect(rooms).toEqual(['loop']);

    const walker = users.server.eachRoomMember('loop', { count: 2 });
    const firstThree: string[] = [];
    for await (const uuid of walker) {
      firstThree.push(uuid);
      if (firstThree.length === 3) break;
    }
    expect(firstThree).toEqual(kws.slice(0, 3).map((k) => k.uuid));
    // `break` returned the walk: it is over, nothing more is read.
    expect(await walker.next()).toEqual({ done: true, value: undefined });
  });

  it('refuses a bad count, a bad room name and cursors it did not issue with a KwsError', async () => {
    const { kws } = await users.open(4);
    for (const k of kws) k.join('a', 'b');
    const server = users.server;
    for (const count of [0, 1_001, 2.5, '10', Number.NaN]) {
      await expect(server.roomsPage({ count: count as number })).rejects.toThrow(
        /page count must be an integer from 1 to 1000/,
      );
    }
    await expect(server.roomMembersPage('')).rejects.toBeInstanceOf(KwsError);
    const { cursor } = await server.roomMembersPage('a', { count: 2 });
    expect(cursor).toMatch(/^[\w-]+$/);
    const [tag, epoch] = fieldsOf(cursor);
    const refused = [
      ['garbage', () => server.roomMembersPage('a', { cursor: 'not a cursor!' })],
      ['not JSON', () => server.roomMembersPage('a', { cursor: 'bm90IEpTT04' })],
      [
        'JSON, not a cursor',
        () => server.roomMembersPage('a', { cursor: forge({ a: 1 } as never) }),
      ],
      ['another room', () => server.roomMembersPage('b', { cursor })],
      ['members for rooms', () => server.roomsPage({ cursor })],
      [
        'a position never issued',
        () => server.roomMembersPage('a', { cursor: forge([tag, epoch, 1e9]) }),
      ],
      [
        'a negative position',
        () => server.roomMembersPage('a', { cursor: forge([tag, epoch, -1]) }),
      ],
      ['another epoch', () => server.roomMembersPage('a', { cursor: forge([tag, 'x', 1]) })],
      ['a huge cursor', () => server.roomMembersPage('a', { cursor: 'a'.repeat(100_000) })],
      ['not a string', () => server.roomMembersPage('a', { cursor: 42 as never })],
    ] as const;
    for (const [what, read] of refused) {
      const error = await read().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, what).toBeInstanceOf(KwsError);
      expect((error as Error).message, what).toMatch(/^Invalid cursor/);
    }
    // The iterators refuse a bad count on their first step.
    await expect(server.eachRoom({ count: 0 }).next()).rejects.toBeInstanceOf(KwsError);
  });
});

describe('a cursor of another process', () => {
  let other: RunningApp;
  const users = useEchoUsers();
  beforeAll(async () => {
    other = await startApp(echoApp({ path: '/ws/:id' }));
  });
  afterAll(() => other.app.close());

  it('is stale: refused with a KwsError (positions do not carry over a restart)', async () => {
    const { kws } = await users.open(3);
    for (const k of kws) k.join('r');
    const { cursor } = await users.server.roomMembersPage('r', { count: 1 });
    const otherServer = other.app.get(KwsServer);
    await expect(otherServer.roomMembersPage('r', { cursor })).rejects.toThrow(
      /Invalid cursor \(stale/,
    );
  });
});
