import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCAN_PAGE } from '../../src/cluster/connection.directory.js';
import { TestRedis } from '../helpers/redis-server.js';
import { startInProcessNode } from './cluster-nodes.js';

/** Large enough that one script listing it all would block Redis for tens of milliseconds. */
const SIZE = 20_000;

/**
 * `rooms()` and `roomMembers()` read the directory page by page (`SSCAN`/`HSCAN` in short script
 * calls) instead of one script as long as the set: Redis serves other nodes in between.
 */
describe('listing large rooms and many rooms', () => {
  let redis: TestRedis;
  let admin: Redis;
  let node: Awaited<ReturnType<typeof startInProcessNode>>;
  const keyPrefix = `kws-test-${randomUUID()}`;

  beforeAll(async () => {
    redis = await TestRedis.start();
    admin = new Redis(redis.url);
    node = await startInProcessNode({ redis: redis.url, keyPrefix });
    // The directory's own layout (see directory.scripts.ts), written in bulk: SIZE members of one
    // room held by this live node, SIZE rooms with a member here, and some of a dead node.
    const live = node.broker.nodeId;
    const pipeline = admin.pipeline();
    for (let i = 0; i < SIZE; i += 1_000) {
      const members: string[] = [];
      for (let j = i; j < i + 1_000; j++) members.push(`u${j}`, live);
      pipeline.hset(`${keyPrefix}:room:big`, ...members);
      const rooms = Array.from({ length: 1_000 }, (_, j) => `r${i + j}`);
      pipeline.sadd(`${keyPrefix}:rooms`, ...rooms);
      for (const room of rooms) pipeline.hset(`${keyPrefix}:roomnodes:${room}`, live, 1);
    }
    pipeline.hset(`${keyPrefix}:room:big`, 'ghost', 'dead-node');
    pipeline.sadd(`${keyPrefix}:rooms`, 'big', 'ghost-room');
    pipeline.hset(`${keyPrefix}:roomnodes:big`, live, SIZE, 'dead-node', 1);
    pipeline.hset(`${keyPrefix}:roomnodes:ghost-room`, 'dead-node', 1);
    await pipeline.exec();
  }, 60_000);

  afterAll(async () => {
    await node?.stop();
    admin?.disconnect();
    await redis?.stop();
  });

  /** Script calls Redis ran while `read` ran (INFO commandstats). */
  async function scriptCalls(read: () => Promise<unknown>): Promise<number> {
    const calls = async (): Promise<number> => {
      const info = await admin.info('commandstats');
      // EVALSHA, or EVAL the first time a script runs (ioredis loads it so).
      let sum = 0;
      for (const [, n] of info.matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)) sum += Number(n);
      return sum;
    };
    // Heartbeats run scripts too (one per second): a couple of calls at most.
    const before = await calls();
    await read();
    return (await calls()) - before;
  }

  it('roomMembers(room) returns every live member, read in many short calls', async () => {
    let members: string[] = [];
    const calls = await scriptCalls(async () => (members = await node.server.roomMembers('big')));
    expect(members.length).toBe(SIZE);
    expect(new Set(members).size).toBe(SIZE);
    expect(members).not.toContain('ghost');
    expect(calls).toBeGreaterThanOrEqual(SIZE / SCAN_PAGE / 2);
  });

  it('rooms() returns every room with a live member, read in many short calls', async () => {
    let rooms: string[] = [];
    const calls = await scriptCalls(async () => (rooms = await node.server.rooms()));
    expect(rooms.length).toBe(SIZE + 1);
    expect(new Set(rooms).size).toBe(SIZE + 1);
    expect(rooms).toContain('big');
    expect(rooms).not.toContain('ghost-room');
    expect(calls).toBeGreaterThanOrEqual(SIZE / SCAN_PAGE / 2);
  });

  it('roomMembersPage walks the big room in pages of at most count, each member once', async () => {
    const listed: string[] = [];
    let pages = 0;
    let cursor = '';
    const calls = await scriptCalls(async () => {
      do {
        const page = await node.server.roomMembersPage('big', { cursor, count: 1_000 });
        expect(page.items.length).toBeLessThanOrEqual(1_000);
        listed.push(...page.items);
        pages++;
        cursor = page.cursor;
      } while (cursor !== '');
    });
    expect(listed.length).toBe(SIZE);
    expect(new Set(listed).size).toBe(SIZE);
    expect(listed).not.toContain('ghost');
    expect(pages).toBeGreaterThanOrEqual(SIZE / 1_000);
    expect(calls).toBeGreaterThanOrEqual(SIZE / 1_000);
  });

  it('eachRoom walks every live room; leaving the loop early stops the Redis calls', async () => {
    let rooms = 0;
    const calls = await scriptCalls(async () => {
      for await (const room of node.server.eachRoom({ count: 1_000 })) {
        expect(room).not.toBe('ghost-room');
        rooms++;
      }
    });
    expect(rooms).toBe(SIZE + 1);
    expect(calls).toBeGreaterThanOrEqual(SIZE / 1_000);
    let taken = 0;
    const early = await scriptCalls(async () => {
      for await (const uuid of node.server.eachRoomMember('big', { count: 100 })) {
        expect(uuid).toBeTypeOf('string');
        if (++taken === 150) break;
      }
    });
    // Two pages read (and a heartbeat or two), not the 200 of the whole room.
    expect(early).toBeLessThan(10);
  });
});
