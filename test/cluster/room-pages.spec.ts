import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KwsClusterUnavailableError,
  KwsError,
  type KwsPage,
  type KwsServer,
} from '../../src/index.js';
import { TestRedis } from '../helpers/redis-server.js';
import { connect, eventually, type TestClient } from '../helpers/ws-client.js';
import { startInProcessNode } from './cluster-nodes.js';

type Node = Awaited<ReturnType<typeof startInProcessNode>>;

/** Reads every page; `between` runs after each page (changes during the walk). */
async function walkPages(
  read: (cursor: string, page: number) => Promise<KwsPage>,
  between: (page: number) => Promise<void> = async () => undefined,
): Promise<KwsPage[]> {
  const pages: KwsPage[] = [];
  let cursor = '';
  do {
    const page = await read(cursor, pages.length);
    pages.push(page);
    await between(pages.length);
    cursor = page.cursor;
  } while (cursor !== '');
  return pages;
}

/**
 * Paged rooms and members in cluster mode: two nodes on a real redis-server, pages read straight
 * from the directory's SCAN scripts, cursors good on any node of the cluster.
 */
describe('paged rooms and room members across two nodes', () => {
  let redis: TestRedis;
  let admin: Redis;
  const nodes: Node[] = [];
  const clients: TestClient[] = [];
  const keyPrefix = `kws-test-${randomUUID()}`;

  beforeAll(async () => {
    redis = await TestRedis.start();
    admin = new Redis(redis.url);
    const options = { redis: redis.url, keyPrefix, heartbeatInterval: 200, nodeTtl: 1_000 };
    nodes.push(await startInProcessNode(options), await startInProcessNode(options));
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.socket.terminate();
    await Promise.all(nodes.map((node) => node.stop()));
    admin?.disconnect();
    await redis?.stop();
  });

  /** Opens `count` connections on each node; resolves with their uuids, node by node. */
  async function open(count: number): Promise<string[][]> {
    return Promise.all(
      nodes.map(async (node) => {
        const before = new Set([...node.server.connections()].map((kws) => kws.uuid));
        const opened = await Promise.all(Array.from({ length: count }, () => connect(node.url)));
        clients.push(...opened);
        const uuids = await eventually(
          () => [...node.server.connections()].map((kws) => kws.uuid).filter((u) => !before.has(u)),
          (list) => list.length === count,
        );
        return uuids;
      }),
    );
  }

  /** Joins every uuid to `room` and waits until the directory counts them all. */
  async function fill(server: KwsServer, room: string, uuids: string[]): Promise<void> {
    await Promise.all(uuids.map((uuid) => server.join(uuid, room)));
    await sizeReaches(server, room, uuids.length);
  }

  /** Polls the directory until the room has `size` members (joins are mirrored to it). */
  async function sizeReaches(server: KwsServer, room: string, size: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    let now = await server.roomSize(room);
    while (now !== size && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      now = await server.roomSize(room);
    }
    expect(now, `members of ${room}`).toBe(size);
  }

  it('pages of at most count from either node, each cursor good on the other, every member once', async () => {
    const [onA, onB] = await open(6);
    const all = [...onA, ...onB];
    await fill(nodes[0].server, 'team', all);
    // A small room is one listpack to Redis: HSCAN returns it whole, the page cuts it to count.
    const pages = await walkPages((cursor, page) =>
      nodes[page % 2].server.roomMembersPage('team', { cursor, count: 5 }),
    );
    expect(pages.map((page) => page.items.length)).toEqual([5, 5, 2]);
    const listed = pages.flatMap((page) => page.items);
    expect(listed.sort()).toEqual([...all].sort());
    await Promise.all(all.map((uuid, i) => nodes[0].server.join(uuid, `solo-${i}`)));
    for (let i = 0; i < all.length; i++) await sizeReaches(nodes[1].server, `solo-${i}`, 1);
    const rooms: string[] = [];
    for await (const room of nodes[1].server.eachRoom({ count: 4 })) rooms.push(room);
    expect(rooms.sort()).toEqual(['team', ...all.map((_, i) => `solo-${i}`)].sort());
  });

  it('a walk while members join and leave: every member present throughout comes at least once', async () => {
    const [onA, onB] = await open(8);
    const stay = [...onA.slice(0, 6), ...onB.slice(0, 6)];
    const go = [...onA.slice(6), ...onB.slice(6)];
    await fill(nodes[1].server, 'churn', [...stay, ...go]);
    const live = nodes[0].broker.nodeId;
    const seen: string[] = [];
    await walkPages(
      async (cursor) => {
        const page = await nodes[1].server.roomMembersPage('churn', { cursor, count: 3 });
        expect(page.items.length).toBeLessThanOrEqual(3);
        seen.push(...page.items);
        return page;
      },
      async (page) => {
        if (page !== 1) return;
        await Promise.all(go.map((uuid) => nodes[0].server.leave(uuid, 'churn')));
        // 300 members more (the directory's own layout, held by a live node): Redis turns the
        // room's listpack into a hash table mid-walk, and SCAN's batches change shape.
        const extra: string[] = [];
        for (let i = 0; i < 300; i++) extra.push(`extra-${i}`, live);
        await admin.hset(`${keyPrefix}:room:churn`, ...extra);
      },
    );
    for (const uuid of stay) expect(seen).toContain(uuid);
    expect(seen.length).toBeGreaterThanOrEqual(stay.length);
  });

  it('a forged cursor, or one of another walk, is a KwsError before Redis is asked', async () => {
    const [onA] = await open(3);
    await fill(nodes[0].server, 'forge', onA);
    const server = nodes[0].server;
    const { cursor } = await server.roomMembersPage('forge', { count: 1 });
    const [tag] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string];
    const forge = (fields: unknown[]) => Buffer.from(JSON.stringify(fields)).toString('base64url');
    const refused = [
      server.roomMembersPage('forge', { cursor: 'zz%%' }),
      server.roomMembersPage('other', { cursor }),
      server.roomsPage({ cursor }),
      // Redis would answer "ERR invalid cursor" to these: they never reach it.
      server.roomMembersPage('forge', {
        cursor: forge([tag, 0, '99999999999999999999', null, null]),
      }),
      server.roomMembersPage('forge', { cursor: forge([tag, 0, '-1', null, null]) }),
      server.roomMembersPage('forge', { cursor: forge([tag, 0, '1e3', null, null]) }),
      server.roomMembersPage('forge', { cursor: forge([tag, 3, '0', null, null]) }),
      server.roomMembersPage('forge', { cursor: forge([tag, 0, '0', 'x', null]) }),
      server.roomMembersPage('forge', { cursor: forge([tag, 0, '0', null]) }),
    ];
    for (const [i, read] of refused.entries()) {
      const error = await read.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, `case ${i}`).toBeInstanceOf(KwsError);
      expect(error, `case ${i}`).not.toBeInstanceOf(KwsClusterUnavailableError);
      expect((error as Error).message, `case ${i}`).toMatch(/^Invalid cursor/);
    }
    // A cursor any position of Redis's 64 bits is still a walk, not an error.
    const far = await server.roomMembersPage('forge', {
      cursor: forge([tag, 0, '18446744073709551615', null, null]),
    });
    expect(Array.isArray(far.items)).toBe(true);
  });
});
