import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOM_MEMBERS_PAGE, ROOMS_PAGE, ROUTE } from '../../src/cluster/directory.scripts.js';
import { TestRedis } from '../helpers/redis-server.js';

/** The directory scripts this round changed, run directly against a real Redis. */
describe('directory scripts', () => {
  let redis: TestRedis;
  let admin: Redis;
  let listener: Redis;
  const p = 'scripts-test';
  const run = (lua: string, ...args: Array<string | number>) =>
    admin.eval(lua, 1, `${p}:dir`, p, ...args);

  beforeAll(async () => {
    redis = await TestRedis.start();
    admin = new Redis(redis.url);
    listener = new Redis(redis.url);
    await admin.set(`${p}:alive:live`, '1');
    await admin.set(`${p}:alive:deaf`, '1');
    await admin.hset(`${p}:dir`, 'u-live', 'live', 'u-dead', 'dead', 'u-deaf', 'deaf');
    await listener.subscribe(`${p}:node:live`);
  });

  afterAll(async () => {
    listener?.disconnect();
    admin?.disconnect();
    await redis?.stop();
  });

  it('ROUTE tells an unknown uuid (-1), an expired holder (-2), a deaf one (0) and a delivery (1)', async () => {
    expect(await run(ROUTE, 'nobody', 'm')).toBe(-1);
    expect(await run(ROUTE, 'u-dead', 'm')).toBe(-2);
    expect(await run(ROUTE, 'u-deaf', 'm')).toBe(0);
    expect(await run(ROUTE, 'u-live', 'm')).toBe(1);
  });

  it('ROOM_MEMBERS_PAGE and ROOMS_PAGE page through everything, live nodes only, and end', async () => {
    const members: string[] = [];
    for (let i = 0; i < 1_000; i++) members.push(`m${i}`, i % 10 === 0 ? 'dead' : 'live');
    await admin.hset(`${p}:room:big`, ...members);
    for (let i = 0; i < 600; i++) {
      await admin.sadd(`${p}:rooms`, `r${i}`);
      await admin.hset(`${p}:roomnodes:r${i}`, i % 3 === 0 ? 'dead' : 'live', 1);
    }
    const scan = async (lua: string, ...args: string[]) => {
      const found: string[] = [];
      let cursor = '0';
      let calls = 0;
      do {
        const [next, items] = (await run(lua, ...args, cursor, 100)) as [string, string[]];
        found.push(...items);
        cursor = next;
        calls++;
      } while (cursor !== '0' && calls < 1_000);
      return { found: new Set(found), calls };
    };
    const room = await scan(ROOM_MEMBERS_PAGE, 'big');
    expect(room.found.size).toBe(900);
    expect(room.found.has('m0')).toBe(false);
    expect(room.calls).toBeGreaterThan(5);
    const rooms = await scan(ROOMS_PAGE);
    expect(rooms.found.size).toBe(400);
    expect(rooms.found.has('r0')).toBe(false);
    expect(rooms.calls).toBeGreaterThan(3);
  });
});
