import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as scripts from '../../src/cluster/directory.scripts.js';
import { TestRedis } from '../helpers/redis-server.js';
import { expectDeclared, ScriptKeys } from '../helpers/script-keys.js';

type Contract = {
  /** The keys declared after p:dir, without the prefix, from the call's ARGV after the prefix. */
  declared: (args: string[]) => string[];
  /** The keys it may find while it runs (without the prefix): never knowable before the call. */
  found: RegExp;
};
const owner = /^alive:/;
const nodeSets = /^(alive|conns|members):|^gc:\d+$/;
const rooms = (list: string[]) => list.flatMap((room) => [`room:${room}`, `roomnodes:${room}`]);
const CONTRACTS = new Map<string, Contract>([
  [
    scripts.JOIN,
    {
      declared: ([node]) => [
        'nodes',
        `alive:${node}`,
        `conns:${node}`,
        `members:${node}`,
        'gc',
        'gcseq',
      ],
      found: /^alive:|^gc:\d+$/,
    },
  ],
  [scripts.CLAIM_ALL, { declared: ([node]) => [`conns:${node}`], found: owner }],
  [scripts.RENAME, { declared: ([node]) => [`conns:${node}`], found: owner }],
  [scripts.RELEASE, { declared: ([node]) => [`conns:${node}`], found: /^$/ }],
  [
    scripts.HEARTBEAT,
    {
      declared: ([node]) => ['nodes', `alive:${node}`, 'gc', 'gcseq', 'parked'],
      found: nodeSets,
    },
  ],
  [
    scripts.GC_STEP,
    {
      declared: () => ['gc', 'gccursor', 'rooms'],
      found: /^(alive|conns|members|room|roomnodes):|^gc:\d+$/,
    },
  ],
  [
    scripts.ROOM_JOIN,
    { declared: ([node, , ...list]) => [`members:${node}`, 'rooms', ...rooms(list)], found: owner },
  ],
  [
    scripts.ROOM_ADOPT,
    { declared: ([node, , ...list]) => [`members:${node}`, 'rooms', ...rooms(list)], found: owner },
  ],
  [
    scripts.ROOM_PARK,
    {
      declared: ([node, , , ...list]) => [
        `members:${node}`,
        `members:~${node}`,
        `alive:~${node}`,
        'parked',
        ...rooms(list),
      ],
      found: /^$/,
    },
  ],
  [
    scripts.ROOM_LEAVE,
    { declared: ([node, , ...list]) => [`members:${node}`, 'rooms', ...rooms(list)], found: /^$/ },
  ],
  [
    scripts.ROOM_SYNC,
    {
      declared: ([node, ...pairs]) => [
        `members:${node}`,
        'rooms',
        ...rooms(pairs.filter((_, i) => i % 2 === 1)),
      ],
      found: owner,
    },
  ],
  [scripts.ROOM_SIZE, { declared: ([room]) => [`roomnodes:${room}`], found: owner }],
  [scripts.ROOM_MEMBERS_PAGE, { declared: ([room]) => [`room:${room}`], found: owner }],
  [scripts.ROOMS_PAGE, { declared: () => ['rooms'], found: /^(alive|roomnodes):/ }],
  [
    scripts.LEAVE,
    {
      declared: ([node]) => [
        'nodes',
        `alive:${node}`,
        `conns:${node}`,
        `members:${node}`,
        'gc',
        'gcseq',
      ],
      found: nodeSets,
    },
  ],
  [scripts.ROUTE, { declared: () => [], found: owner }],
  [scripts.ROUTE_LIST, { declared: () => [], found: owner }],
  [scripts.PUBLISH_ALL, { declared: () => ['nodes'], found: owner }],
  [scripts.PUBLISH_ROOM, { declared: ([room]) => [`roomnodes:${room}`, 'nodes'], found: owner }],
  [scripts.NODE_COUNTS, { declared: () => ['nodes'], found: /^(alive|conns):/ }],
  [scripts.COUNT, { declared: () => ['nodes'], found: /^(alive|conns):/ }],
]);

/**
 * Each directory script run directly against a real Redis (EVAL, no Nest app), asserting the
 * contract its file's header states: what it returns and the keys it changes. Every test has a
 * prefix of its own, so they share one server. Every call also checks the keys it touched
 * (from MONITOR): the declared ones, or those its header says it finds while it runs.
 */
describe('directory scripts', () => {
  let redis: TestRedis;
  let admin: Redis;
  let listener: Redis;
  let tests = 0;
  let p = '';
  let watch: ScriptKeys;
  /**
   * Runs a script with the keys it declares (KEYS[1] p:dir, then those of its contract above), and
   * checks that every other key it touched is one its header says it finds while it runs.
   */
  const run = async (lua: string, ...args: Array<string | number>) => {
    const contract = CONTRACTS.get(lua)!;
    const keys = [`${p}:dir`, ...contract.declared(args.map(String)).map((key) => `${p}:${key}`)];
    const { result, keys: touched } = await watch.touchedBy(() =>
      admin.eval(lua, keys.length, ...keys, p, ...args),
    );
    expectDeclared(touched, keys, p, contract.found);
    return result;
  };
  /** A node whose liveness key exists (the others count as dead). */
  const live = (...nodes: string[]) =>
    Promise.all(nodes.map((node) => admin.set(`${p}:alive:${node}`, '1', 'PX', 60_000)));
  const dir = () => admin.hgetall(`${p}:dir`);
  const members = (key: string) => admin.smembers(key).then((list) => list.sort());
  const entry = (uuid: string, room: string) => `${uuid.length}:${uuid}${room}`;

  beforeAll(async () => {
    redis = await TestRedis.start();
    admin = new Redis(redis.url);
    listener = new Redis(redis.url);
    watch = await ScriptKeys.watch(redis.url);
  });

  beforeEach(() => {
    p = `t${++tests}`;
  });

  afterAll(async () => {
    watch?.close();
    listener?.disconnect();
    admin?.disconnect();
    await redis?.stop();
  });

  it('JOIN marks the node alive, retires what it held before and claims the uuids', async () => {
    await live('other');
    await admin.hset(`${p}:dir`, 'mine-before', 'n1', 'held', 'other', 'orphan', 'dead');
    await admin.sadd(`${p}:conns:n1`, 'mine-before');
    await admin.sadd(`${p}:members:n1`, entry('mine-before', 'lobby'));
    const taken = await run(scripts.JOIN, 'n1', 60_000, 'a', 'held', 'orphan');
    expect(taken).toEqual(['held']);
    expect(await admin.pttl(`${p}:alive:n1`)).toBeGreaterThan(0);
    expect(await admin.smembers(`${p}:nodes`)).toEqual(['n1']);
    // The sets of before are moved aside whole (O(1)) for GC_STEP; the new set has the new claims.
    const gc = await admin.hgetall(`${p}:gc`);
    expect(Object.values(gc).sort()).toEqual(['c:n1', 'm:n1']);
    for (const garbage of Object.keys(gc)) expect(await admin.exists(garbage)).toBe(1);
    expect(await admin.exists(`${p}:members:n1`)).toBe(0);
    expect(await members(`${p}:conns:n1`)).toEqual(['a', 'orphan']);
    expect(await dir()).toEqual({ 'mine-before': 'n1', held: 'other', orphan: 'n1', a: 'n1' });
  });

  it('CLAIM_ALL claims free uuids and those of dead nodes; returns the ones a live node holds', async () => {
    await live('n1', 'other');
    await admin.hset(`${p}:dir`, 'held', 'other', 'orphan', 'dead', 'own', 'n1');
    expect(await run(scripts.CLAIM_ALL, 'n1', 'a', 'held', 'orphan', 'own')).toEqual(['held']);
    expect(await dir()).toEqual({ a: 'n1', held: 'other', orphan: 'n1', own: 'n1' });
    expect(await members(`${p}:conns:n1`)).toEqual(['a', 'orphan', 'own']);
    expect(await run(scripts.CLAIM_ALL, 'n1')).toEqual([]);
  });

  it('RENAME claims the new uuid and releases the old one, or changes nothing (0) when a live node holds it', async () => {
    await live('n1', 'other');
    await run(scripts.CLAIM_ALL, 'n1', 'old');
    await admin.hset(`${p}:dir`, 'busy', 'other');
    expect(await run(scripts.RENAME, 'n1', 'old', 'busy')).toBe(0);
    expect(await dir()).toEqual({ old: 'n1', busy: 'other' });
    expect(await run(scripts.RENAME, 'n1', 'old', 'new')).toBe(1);
    expect(await dir()).toEqual({ new: 'n1', busy: 'other' });
    expect(await members(`${p}:conns:n1`)).toEqual(['new']);
  });

  it('RELEASE removes the entry only when the node holds it', async () => {
    await live('n1', 'other');
    await run(scripts.CLAIM_ALL, 'n1', 'a', 'b');
    await admin.hset(`${p}:dir`, 'b', 'other');
    expect(await run(scripts.RELEASE, 'n1', 'a')).toBe(1);
    expect(await run(scripts.RELEASE, 'n1', 'b')).toBe(1);
    expect(await run(scripts.RELEASE, 'n1', 'unknown')).toBe(1);
    expect(await dir()).toEqual({ b: 'other' });
    expect(await admin.exists(`${p}:conns:n1`)).toBe(0);
  });

  it('HEARTBEAT refreshes a listening node (1), not an expired one (0) nor a deaf one (-1), and retires dead nodes', async () => {
    const channel = `${p}:node:n1`;
    await listener.subscribe(channel);
    try {
      await admin.set(`${p}:alive:n1`, '1', 'PX', 1_000);
      await admin.sadd(`${p}:nodes`, 'n1', 'deaf', 'dead');
      await live('deaf');
      await admin.sadd(`${p}:conns:dead`, 'x', 'y');
      await admin.sadd(`${p}:members:dead`, entry('x', 'lobby'));
      const [status, garbage, liveNodes] = (await run(
        scripts.HEARTBEAT,
        'n1',
        60_000,
        channel,
      )) as number[];
      expect([status, garbage, liveNodes]).toEqual([1, 2, 2]);
      expect(await admin.pttl(`${p}:alive:n1`)).toBeGreaterThan(1_000);
      expect((await members(`${p}:nodes`)).sort()).toEqual(['deaf', 'n1']);
      expect(await admin.exists(`${p}:conns:dead`, `${p}:members:dead`)).toBe(0);
      expect(Object.values(await admin.hgetall(`${p}:gc`)).sort()).toEqual(['c:dead', 'm:dead']);
      // Nobody listens on the deaf node's channel: it is not refreshed.
      const deafTtl = await admin.pttl(`${p}:alive:deaf`);
      const deaf = (await run(scripts.HEARTBEAT, 'deaf', 600_000, `${p}:node:deaf`)) as number[];
      expect(deaf[0]).toBe(-1);
      expect(await admin.pttl(`${p}:alive:deaf`)).toBeLessThanOrEqual(deafTtl);
      // Its liveness expired: not recreated (the caller rejoins).
      await admin.del(`${p}:alive:n1`);
      expect(((await run(scripts.HEARTBEAT, 'n1', 60_000, channel)) as number[])[0]).toBe(0);
      expect(await admin.exists(`${p}:alive:n1`)).toBe(0);
    } finally {
      await listener.unsubscribe(channel);
    }
  });

  it('GC_STEP drains a dead node’s uuids in bounded batches, keeps re-claimed ones, and ends with { 0, 0 }', async () => {
    await live('n2');
    const uuids = Array.from({ length: 1_000 }, (_, i) => `u${i}`);
    await admin.hset(`${p}:dir`, ...uuids.flatMap((uuid) => [uuid, 'dead']));
    await admin.sadd(`${p}:conns:dead`, ...uuids);
    await admin.hset(`${p}:dir`, 'u7', 'n2'); // re-claimed by a live node since
    await admin.sadd(`${p}:nodes`, 'dead', 'n2');
    await run(scripts.HEARTBEAT, 'n2', 60_000, `${p}:nobody`);
    const first = (await run(scripts.GC_STEP, 100)) as number[];
    expect(first).toEqual([1, 0]);
    // One call drains about one batch (SSCAN COUNT is a hint), far from the whole set.
    expect(await admin.hlen(`${p}:dir`)).toBeGreaterThan(700);
    let calls = 1;
    while (((await run(scripts.GC_STEP, 100)) as number[])[0] > 0 && calls < 1_000) calls++;
    expect(calls).toBeGreaterThan(5);
    expect(await dir()).toEqual({ u7: 'n2' });
    expect(await admin.exists(`${p}:gc`, `${p}:gccursor`)).toBe(0);
    expect(await admin.keys(`${p}:gc:*`)).toEqual([]);
    expect(await run(scripts.GC_STEP, 100)).toEqual([0, 0]);
  });

  it('GC_STEP removes retired memberships and returns them, except those a live rejoined node holds again', async () => {
    await run(scripts.JOIN, 'n1', 60_000);
    await run(scripts.ROOM_JOIN, 'n1', 'a', 'lobby', 'kept');
    await run(scripts.ROOM_JOIN, 'n1', 'b', 'lobby');
    // The node rejoins (its memberships are retired) and re-registers one of them.
    await run(scripts.JOIN, 'n1', 60_000);
    await run(scripts.ROOM_SYNC, 'n1', 'a', 'kept');
    const removed: string[] = [];
    let alive = -1;
    for (;;) {
      const [left, nodeAlive, ...pairs] = (await run(scripts.GC_STEP, 100)) as [
        number,
        number,
        ...string[],
      ];
      removed.push(...pairs);
      if (pairs.length > 0) alive = nodeAlive;
      if (left === 0) break;
    }
    expect(alive).toBe(1);
    const pairs = [];
    for (let i = 0; i < removed.length; i += 2) pairs.push(`${removed[i]}@${removed[i + 1]}`);
    expect(pairs.sort()).toEqual(['a@lobby', 'b@lobby']);
    expect(await admin.exists(`${p}:room:lobby`, `${p}:roomnodes:lobby`)).toBe(0);
    expect(await members(`${p}:rooms`)).toEqual(['kept']);
    expect(await admin.hgetall(`${p}:room:kept`)).toEqual({ a: 'n1' });
  });

  it('ROOM_JOIN returns the rooms the connection is new to, and counts it on its node', async () => {
    await live('n1');
    expect(await run(scripts.ROOM_JOIN, 'n1', 'a', 'r1', 'r2')).toEqual(['r1', 'r2']);
    expect(await run(scripts.ROOM_JOIN, 'n1', 'a', 'r1', 'r3')).toEqual(['r3']);
    expect(await admin.hgetall(`${p}:room:r1`)).toEqual({ a: 'n1' });
    expect(await admin.hgetall(`${p}:roomnodes:r1`)).toEqual({ n1: '1' });
    expect(await members(`${p}:rooms`)).toEqual(['r1', 'r2', 'r3']);
    expect(await members(`${p}:members:n1`)).toEqual(['r1', 'r2', 'r3'].map((r) => entry('a', r)));
    // A member a dead node still held counts as a join again (its presence had ended).
    await admin.hset(`${p}:room:r4`, 'b', 'dead');
    await admin.hset(`${p}:roomnodes:r4`, 'dead', 1);
    expect(await run(scripts.ROOM_JOIN, 'n1', 'b', 'r4')).toEqual(['r4']);
    expect(await admin.hgetall(`${p}:roomnodes:r4`)).toEqual({ n1: '1' });
    expect(await run(scripts.ROOM_JOIN, 'n1', 'b')).toEqual([]);
  });

  it('ROOM_PARK hands the memberships a node holds to its parked owner, still listed, never a broadcast receiver', async () => {
    await live('n1', 'n2');
    await admin.sadd(`${p}:nodes`, 'n1', 'n2');
    await run(scripts.ROOM_JOIN, 'n1', 'a', 'r1', 'r2');
    await run(scripts.ROOM_JOIN, 'n1', 'b', 'r1');
    await run(scripts.ROOM_JOIN, 'n2', 'a', 'r3'); // another node's entry: not n1's to park
    expect(await run(scripts.ROOM_PARK, 'n1', 60_000, 'a', 'r1', 'r2', 'r3', 'never')).toBe(2);
    expect(await admin.hgetall(`${p}:room:r1`)).toEqual({ a: '~n1', b: 'n1' });
    expect(await admin.hgetall(`${p}:roomnodes:r1`)).toEqual({ n1: '1', '~n1': '1' });
    expect(await admin.hgetall(`${p}:roomnodes:r2`)).toEqual({ '~n1': '1' });
    expect(await admin.hgetall(`${p}:room:r3`)).toEqual({ a: 'n2' });
    expect(await members(`${p}:members:n1`)).toEqual([entry('b', 'r1')]);
    expect(await members(`${p}:members:~n1`)).toEqual([entry('a', 'r1'), entry('a', 'r2')]);
    expect(await members(`${p}:parked`)).toEqual(['~n1']);
    expect(await admin.pttl(`${p}:alive:~n1`)).toBeGreaterThan(50_000);
    // Listed while parked: the room keeps its size and members, and the room itself.
    expect(await run(scripts.ROOM_SIZE, 'r1')).toBe(2);
    expect(await run(scripts.ROOM_SIZE, 'r2')).toBe(1);
    expect(
      ((await run(scripts.ROOM_MEMBERS_PAGE, 'r2', '0', 10)) as [string, string[]])[1],
    ).toEqual(['a']);
    expect(((await run(scripts.ROOMS_PAGE, '0', 10)) as [string, string[]])[1].sort()).toEqual([
      'r1',
      'r2',
      'r3',
    ]);
    // A parked owner is no node: a room broadcast does not wait for it.
    expect(await run(scripts.PUBLISH_ROOM, 'r2', `${p}:roomch:r2`, 'm', '1')).toEqual([0, 0, 2]);
    // Nothing of the node's left to park: no liveness written.
    await admin.del(`${p}:alive:~n1`);
    expect(await run(scripts.ROOM_PARK, 'n1', 60_000, 'a', 'r1')).toBe(0);
    expect(await admin.exists(`${p}:alive:~n1`)).toBe(0);
  });

  it('ROOM_ADOPT takes over a moved session’s entries quietly (held by its first node, parked or dead) and returns only the rooms it was absent from', async () => {
    await live('n1', 'n2');
    await run(scripts.ROOM_JOIN, 'n1', 'a', 'r1', 'r2');
    await run(scripts.ROOM_PARK, 'n1', 60_000, 'a', 'r2');
    await run(scripts.ROOM_JOIN, 'dead', 'a', 'r3');
    expect(await run(scripts.ROOM_ADOPT, 'n2', 'a', 'r1', 'r2', 'r3', 'r4')).toEqual(['r4']);
    for (const room of ['r1', 'r2', 'r3', 'r4']) {
      expect(await admin.hgetall(`${p}:room:${room}`)).toEqual({ a: 'n2' });
      expect(await admin.hgetall(`${p}:roomnodes:${room}`)).toEqual({ n2: '1' });
    }
    expect(await members(`${p}:members:n2`)).toEqual(
      ['r1', 'r2', 'r3', 'r4'].map((room) => entry('a', room)),
    );
    // Its own entry already: nothing new.
    expect(await run(scripts.ROOM_ADOPT, 'n2', 'a', 'r1')).toEqual([]);
    // The first node's later leave finds the entry moved on: no leave.
    expect(await run(scripts.ROOM_LEAVE, 'n1', 'a', 'r1')).toEqual([]);
    expect(await admin.hgetall(`${p}:room:r1`)).toEqual({ a: 'n2' });
  });

  it('HEARTBEAT retires an expired parked owner; GC_STEP then removes what no node adopted, flagged parked (2)', async () => {
    await live('n1', 'n2');
    await admin.sadd(`${p}:nodes`, 'n1', 'n2');
    await run(scripts.ROOM_JOIN, 'n1', 'a', 'r1', 'r2');
    await run(scripts.ROOM_PARK, 'n1', 60_000, 'a', 'r1', 'r2');
    await run(scripts.ROOM_ADOPT, 'n2', 'a', 'r1');
    const channel = `${p}:node:n2`;
    await listener.subscribe(channel);
    try {
      // Still alive: kept.
      expect(((await run(scripts.HEARTBEAT, 'n2', 60_000, channel)) as number[])[1]).toBe(0);
      expect(await members(`${p}:parked`)).toEqual(['~n1']);
      await admin.del(`${p}:alive:~n1`); // its maxDisconnection passed
      expect(((await run(scripts.HEARTBEAT, 'n2', 60_000, channel)) as number[])[1]).toBe(1);
    } finally {
      await listener.unsubscribe(channel);
    }
    expect(await admin.exists(`${p}:parked`, `${p}:members:~n1`)).toBe(0);
    expect(await run(scripts.GC_STEP, 100)).toEqual([0, 2, 'a', 'r2']);
    expect(await admin.hgetall(`${p}:room:r1`)).toEqual({ a: 'n2' });
    expect(await admin.exists(`${p}:room:r2`, `${p}:roomnodes:r2`)).toBe(0);
    expect(await members(`${p}:rooms`)).toEqual(['r1']);
  });

  it('ROOM_LEAVE returns the rooms left, and forgets an emptied room', async () => {
    await live('n1');
    await run(scripts.ROOM_JOIN, 'n1', 'a', 'r1', 'r2');
    await run(scripts.ROOM_JOIN, 'n1', 'b', 'r2');
    expect(await run(scripts.ROOM_LEAVE, 'n1', 'a', 'r1', 'r2', 'never')).toEqual(['r1', 'r2']);
    expect(await run(scripts.ROOM_LEAVE, 'n1', 'a', 'r1')).toEqual([]);
    expect(await admin.exists(`${p}:room:r1`, `${p}:roomnodes:r1`)).toBe(0);
    expect(await members(`${p}:rooms`)).toEqual(['r2']);
    expect(await admin.hgetall(`${p}:roomnodes:r2`)).toEqual({ n1: '1' });
    expect(await members(`${p}:members:n1`)).toEqual([entry('b', 'r2')]);
  });

  it('ROOM_SYNC re-registers (uuid, room) pairs and returns those new to their room, flattened', async () => {
    await live('n1');
    await run(scripts.ROOM_JOIN, 'n1', 'a', 'r1');
    // Rooms and uuids may contain ':' (the membership entry is length-prefixed).
    expect(await run(scripts.ROOM_SYNC, 'n1', 'a', 'r1', 'a', 'r:2', 'b:x', 'r1')).toEqual([
      'a',
      'r:2',
      'b:x',
      'r1',
    ]);
    expect(await admin.hgetall(`${p}:room:r1`)).toEqual({ a: 'n1', 'b:x': 'n1' });
    expect(await run(scripts.ROOM_SYNC, 'n1')).toEqual([]);
  });

  it('ROOM_SIZE counts the members held by live nodes only', async () => {
    await live('n1', 'n2');
    await run(scripts.ROOM_JOIN, 'n1', 'a', 'r');
    await run(scripts.ROOM_JOIN, 'n2', 'b', 'r');
    await run(scripts.ROOM_JOIN, 'n2', 'c', 'r');
    await run(scripts.ROOM_JOIN, 'dead', 'd', 'r');
    expect(await run(scripts.ROOM_SIZE, 'r')).toBe(3);
    await admin.del(`${p}:alive:n2`);
    expect(await run(scripts.ROOM_SIZE, 'r')).toBe(1);
    expect(await run(scripts.ROOM_SIZE, 'nothing')).toBe(0);
  });

  it('ROOM_MEMBERS_PAGE and ROOMS_PAGE page through everything, live nodes only, and end', async () => {
    await live('live');
    const list: string[] = [];
    for (let i = 0; i < 1_000; i++) list.push(`m${i}`, i % 10 === 0 ? 'dead' : 'live');
    await admin.hset(`${p}:room:big`, ...list);
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
    const room = await scan(scripts.ROOM_MEMBERS_PAGE, 'big');
    expect(room.found.size).toBe(900);
    expect(room.found.has('m0')).toBe(false);
    expect(room.calls).toBeGreaterThan(5);
    const rooms = await scan(scripts.ROOMS_PAGE);
    expect(rooms.found.size).toBe(400);
    expect(rooms.found.has('r0')).toBe(false);
    expect(rooms.calls).toBeGreaterThan(3);
    expect(await run(scripts.ROOM_MEMBERS_PAGE, 'nothing', '0', 100)).toEqual(['0', []]);
  });

  it('LEAVE retires the node’s sets, ends its liveness, retires dead nodes, returns the garbage count', async () => {
    await run(scripts.JOIN, 'n1', 60_000, 'a');
    await run(scripts.ROOM_JOIN, 'n1', 'a', 'r');
    await admin.sadd(`${p}:nodes`, 'dead');
    await admin.sadd(`${p}:conns:dead`, 'z');
    expect(await run(scripts.LEAVE, 'n1')).toBe(3);
    expect(await admin.exists(`${p}:alive:n1`, `${p}:conns:n1`, `${p}:members:n1`)).toBe(0);
    expect(await admin.smembers(`${p}:nodes`)).toEqual([]);
    expect(Object.values(await admin.hgetall(`${p}:gc`)).sort()).toEqual([
      'c:dead',
      'c:n1',
      'm:n1',
    ]);
    // The entries stay until drained, but no longer count: their node is not alive.
    expect(await run(scripts.COUNT)).toBe(0);
    expect(await run(scripts.ROOM_SIZE, 'r')).toBe(0);
  });

  it('ROUTE tells an unknown uuid (-1), an expired holder (-2), a deaf one (0) and a delivery (1)', async () => {
    await live('live', 'deaf');
    await admin.hset(`${p}:dir`, 'u-live', 'live', 'u-dead', 'dead', 'u-deaf', 'deaf');
    await listener.subscribe(`${p}:node:live`);
    try {
      expect(await run(scripts.ROUTE, 'nobody', 'm')).toBe(-1);
      expect(await run(scripts.ROUTE, 'u-dead', 'm')).toBe(-2);
      expect(await run(scripts.ROUTE, 'u-deaf', 'm')).toBe(0);
      expect(await run(scripts.ROUTE, 'u-live', 'm')).toBe(1);
    } finally {
      await listener.unsubscribe(`${p}:node:live`);
    }
  });

  it('ROUTE_LIST publishes once per live listening node and names each uuid’s node', async () => {
    await live('n1', 'n2', 'deaf');
    await admin.hset(`${p}:dir`, 'a', 'n1', 'b', 'n1', 'c', 'n2', 'd', 'deaf', 'e', 'dead');
    const got: string[] = [];
    const sub = new Redis(redis.url);
    try {
      await sub.subscribe(`${p}:node:n1`, `${p}:node:n2`);
      // A marker published after the script: had n1 been sent twice, both copies come before it.
      const ended = new Promise<void>((resolve) =>
        sub.on('message', (channel: string, message: string) => {
          got.push(`${channel}=${message}`);
          if (message === 'end') resolve();
        }),
      );
      const owners = await run(scripts.ROUTE_LIST, 'hello', 'a', 'b', 'c', 'd', 'e', 'f');
      expect(owners).toEqual(['n1', 'n1', 'n2', '', '', '']);
      await admin.publish(`${p}:node:n1`, 'end');
      await ended;
      expect(got.sort()).toEqual([`${p}:node:n1=end`, `${p}:node:n1=hello`, `${p}:node:n2=hello`]);
      expect(await run(scripts.ROUTE_LIST, 'hello')).toEqual([]);
    } finally {
      sub.disconnect();
    }
  });

  it('PUBLISH_ALL returns the receivers and the live nodes', async () => {
    await live('n1', 'n2');
    await admin.sadd(`${p}:nodes`, 'n1', 'n2', 'dead');
    await listener.subscribe(`${p}:broadcast`);
    try {
      expect(await run(scripts.PUBLISH_ALL, `${p}:broadcast`, 'm')).toEqual([1, 2]);
    } finally {
      await listener.unsubscribe(`${p}:broadcast`);
    }
  });

  it('PUBLISH_ROOM returns the receivers, the live nodes of the room and, when asked, all live nodes', async () => {
    await live('n1', 'n2', 'n3');
    await admin.sadd(`${p}:nodes`, 'n1', 'n2', 'n3', 'dead');
    await run(scripts.ROOM_JOIN, 'n1', 'a', 'r');
    await run(scripts.ROOM_JOIN, 'n2', 'b', 'r');
    await run(scripts.ROOM_JOIN, 'dead', 'c', 'r');
    const channel = `${p}:roomch:r`;
    await listener.subscribe(channel);
    try {
      expect(await run(scripts.PUBLISH_ROOM, 'r', channel, 'm', '0')).toEqual([1, 2, -1]);
      expect(await run(scripts.PUBLISH_ROOM, 'r', channel, 'm', '1')).toEqual([1, 2, 3]);
      expect(await run(scripts.PUBLISH_ROOM, 'empty', `${p}:roomch:empty`, 'm', '1')).toEqual([
        0, 0, 3,
      ]);
    } finally {
      await listener.unsubscribe(channel);
    }
  });

  it('NODE_COUNTS and COUNT count the connections of live nodes only', async () => {
    expect(await run(scripts.COUNT)).toBe(0);
    expect(await run(scripts.NODE_COUNTS)).toEqual([]);
    await run(scripts.JOIN, 'n1', 60_000, 'a', 'b');
    await run(scripts.JOIN, 'n2', 60_000, 'c');
    await run(scripts.JOIN, 'gone', 60_000, 'd', 'e', 'f');
    await admin.del(`${p}:alive:gone`);
    expect(await run(scripts.COUNT)).toBe(3);
    const flat = (await run(scripts.NODE_COUNTS)) as Array<string | number>;
    const counts: Record<string, unknown> = {};
    for (let i = 0; i < flat.length; i += 2) counts[flat[i]] = flat[i + 1];
    expect(counts).toEqual({ n1: 2, n2: 1 });
  });
});
