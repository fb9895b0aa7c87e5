import { randomUUID } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryShard, REDIS_CLUSTER_SHARDS } from '../../src/cluster/connection.directory.js';
import { TestRedisCluster } from '../helpers/redis-cluster.js';
import { eventuallyAsync } from '../helpers/ws-client.js';
import { askUntil, ClusterClient } from './cluster-client.js';
import { startInProcessNode } from './cluster-nodes.js';

/**
 * The same operations against a real Redis Cluster of three masters, started by the test: keys of
 * one slot per script call, sharded pub/sub (SPUBLISH/SSUBSCRIBE) on the shard owning that slot.
 */
describe('cluster mode on Redis Cluster (3 masters)', () => {
  let redis: TestRedisCluster;
  let template: Cluster;
  const keyPrefix = `kws-test-${randomUUID()}`;
  const nodes: Array<Awaited<ReturnType<typeof startInProcessNode>>> = [];
  const clients: ClusterClient[] = [];

  beforeAll(async () => {
    redis = await TestRedisCluster.start();
    template = new Cluster(redis.nodes, { lazyConnect: true });
    const options = { redis: template, keyPrefix, heartbeatInterval: 100, nodeTtl: 600 };
    nodes.push(...(await Promise.all([1, 2, 3].map(() => startInProcessNode(options)))));
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.terminate();
    await Promise.all(nodes.map((node) => node.stop()));
    template?.disconnect();
    await redis?.stop();
  });

  it('a node has joined every shard when its bootstrap ends (its first join is not refused)', async () => {
    // A template of its own: its cluster client opens every master's connection from scratch.
    const fresh = new Cluster(redis.nodes, { lazyConnect: true });
    const node = await startInProcessNode({
      redis: fresh,
      keyPrefix,
      heartbeatInterval: 30_000,
      nodeTtl: 60_000,
      // A loaded machine may take seconds to connect: that must not count as Redis away at boot.
      requestTimeout: 20_000,
    });
    try {
      // No heartbeat runs before this (30 s): only the bootstrap's join can have registered it.
      expect(node.server.stats().cluster?.registered).toBe(true);
      expect(node.broker.stats.rejoins).toBe(1);
    } finally {
      await node.stop();
      fresh.disconnect();
    }
  });

  it('broadcasts once, routes emitTo and setUUID, keeps rooms, and spreads the directory over the masters', async () => {
    const [a1, a2, b1, b2, c1, c2] = await Promise.all(
      [0, 0, 1, 1, 2, 2].map((i) => ClusterClient.open(nodes[i].url)),
    );
    clients.push(a1, a2, b1, b2, c1, c2);
    const ids = await Promise.all(clients.map((client) => client.ask('whoami')));
    expect(await askUntil(a1, 'count', (n) => n === '6')).toBe('6');
    const publishesBefore = await redis.perNode(async (shard) => publishes(shard));

    expect(await a1.ask('broadcast hello')).toBe('ok');
    expect(await c1.ask('broadcast-except bye')).toBe('ok');
    for (const client of clients) {
      expect(await client.waitForMessages(client === c1 ? 1 : 2)).toEqual(
        client === c1 ? ['hello'] : ['hello', 'bye'],
      );
    }
    expect(await a1.ask(`emitto ${ids[5]} direct`)).toBe('ok');
    expect(await c2.waitForMessages(3)).toEqual(['hello', 'bye', 'direct']);
    expect(await b1.ask(`emitto ${randomUUID()} nobody`)).toBe('KwsInvalidConnectionError');
    expect(await a2.ask(`emitlist ${ids[2]},${ids[4]},ghost listed`)).toBe('ghost');

    const name = `zoe-${randomUUID()}`;
    const racers = [a2, b1, c2];
    const answers = await Promise.all(racers.map((client) => client.ask(`setuuid ${name}`)));
    expect(answers.filter((answer) => answer === 'ok')).toHaveLength(1);

    expect(await b2.ask('join red')).toBe('ok');
    expect(await c1.ask('join red')).toBe('ok');
    expect(await askUntil(a1, 'roomsize red', (n) => n === '2')).toBe('2');
    expect(await a1.ask('broadcast-to red roses')).toBe('ok');
    expect(await b2.waitForMessages(3)).toEqual(['hello', 'bye', 'roses']);

    // The directory spreads over the masters (one hash tag per directory shard), and messages
    // were sharded: SPUBLISH only, no PUBLISH anywhere (which Redis Cluster copies to every shard).
    const keys = await redis.perNode((shard) => shard.keys(`{${keyPrefix}:*}:*`));
    expect(keys.filter((list) => list.length > 0).length).toBeGreaterThanOrEqual(2);
    expect(keys.flat().every((key) => /^\{[^}]+:\d+\}:/.test(key))).toBe(true);
    const publishesAfter = await redis.perNode(async (shard) => publishes(shard));
    expect(publishesAfter).toEqual(publishesBefore);
    const listeners = await redis.perNode(async (shard) => {
      const reply = (await shard.call('PUBSUB', 'SHARDNUMSUB', `{${keyPrefix}:0}:broadcast`)) as [
        string,
        number,
      ];
      return Number(reply[1]);
    });
    expect(listeners.sort()).toEqual([0, 0, 3]);
  });

  it('roomsPage walks every shard: the cursor carries the shard, every room comes, pages stay within count', async () => {
    const client = await ClusterClient.open(nodes[0].url);
    clients.push(client);
    const uuid = await client.ask('whoami');
    const mine = Array.from({ length: 24 }, (_, i) => `paged-${i}`);
    await nodes[0].server.join(uuid, mine);
    // Spread over the 8 directory shards (room names hash to shards).
    expect(
      new Set(mine.map((room) => directoryShard(room, REDIS_CLUSTER_SHARDS))).size,
    ).toBeGreaterThan(4);
    await eventuallyAsync(
      () => nodes[2].server.roomSize('paged-23'),
      (size) => size === 1,
      10_000,
    );
    const rooms: string[] = [];
    let cursor = '';
    let pages = 0;
    do {
      // Each page from another node: the cursor is the cluster's, not a node's.
      const page = await nodes[pages % 3].server.roomsPage({ cursor, count: 3 });
      expect(page.items.length).toBeLessThanOrEqual(3);
      rooms.push(...page.items);
      cursor = page.cursor;
      pages++;
    } while (cursor !== '');
    for (const room of mine) expect(rooms).toContain(room);
    expect(new Set(rooms).size).toBe(rooms.length);
    expect(pages).toBeGreaterThanOrEqual(mine.length / 3);
    const members: string[] = [];
    for await (const member of nodes[1].server.eachRoomMember('paged-5')) members.push(member);
    expect(members).toEqual([uuid]);
  });
});

async function publishes(shard: Redis): Promise<number> {
  const info = await shard.info('commandstats');
  return Number(/cmdstat_publish:calls=(\d+)/.exec(info)?.[1] ?? 0);
}
