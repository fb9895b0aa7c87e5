import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KwsPresence, KwsServer } from '../../src/index.js';
import { channelsApp } from '../apps/channels.app.js';
import { ChannelPackets, heldBy, type ChannelPacket } from '../helpers/channel-packets.js';
import { spawnNodeFixture, type NodeProcess } from '../helpers/node-process.js';
import { TestRedis } from '../helpers/redis-server.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { eventually } from '../helpers/ws-client.js';

const NODE = fileURLToPath(new URL('./fixtures/channels-node.mjs', import.meta.url));
const HEARTBEAT = 200;
const NODE_TTL = 600;

describe('presence across nodes (Redis)', () => {
  let redis: TestRedis;
  let nodeA: RunningApp;
  let nodeB: NodeProcess;
  const keyPrefix = `kws-test-${randomUUID()}`;
  const clients: ChannelPackets[] = [];

  beforeAll(async () => {
    redis = await TestRedis.start();
    nodeA = await startApp(
      channelsApp({
        cluster: { redis: redis.url, keyPrefix, heartbeatInterval: HEARTBEAT, nodeTtl: NODE_TTL },
      }),
    );
    nodeB = await spawnNodeFixture(
      NODE,
      {
        ...process.env,
        REDIS_URL: redis.url,
        KWS_PREFIX: keyPrefix,
        KWS_HEARTBEAT: String(HEARTBEAT),
        KWS_NODE_TTL: String(NODE_TTL),
      },
      'channels node',
    );
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await nodeB?.kill('SIGKILL');
    await nodeA?.app.close();
    await redis?.stop();
  });

  const on = async (port: number, channel: string, name: string): Promise<ChannelPackets> => {
    const client = await ChannelPackets.open(`ws://127.0.0.1:${port}/ws`);
    clients.push(client);
    const ack = await client.join(channel, { name });
    expect(ack.error).toBeUndefined();
    return client;
  };

  it('every node holds the same presence; a late joiner on any node gets it whole, tabs collapsed per key', async () => {
    const ann = await on(nodeA.port, 'room:x', 'ann');
    await on(nodeB.port, 'room:x', 'bob');
    await on(nodeB.port, 'room:x', 'bob');
    await on(nodeB.port, 'room:x', 'carl');
    const expected = ['ann×1', 'bob×2', 'carl×1'];
    expect(
      await eventually(
        () => heldBy(ann, 'room:x'),
        (held) => held.join() === expected.join(),
      ),
    ).toEqual(expected);
    const presence = nodeA.app.get(KwsPresence);
    expect(Object.keys(presence.list('room:x')).sort()).toEqual(['ann', 'bob', 'carl']);
    expect(presence.list('room:x').bob.metas).toEqual([
      { node: 'process', kws_ref: expect.any(String) },
      { node: 'process', kws_ref: expect.any(String) },
    ]);
    const lateOnB = await on(nodeB.port, 'room:x', 'dan');
    const lateOnA = await on(nodeA.port, 'room:x', 'eve');
    const all = ['ann×1', 'bob×2', 'carl×1', 'dan×1', 'eve×1'];
    for (const client of [ann, lateOnB, lateOnA]) {
      expect(
        await eventually(
          () => heldBy(client, 'room:x'),
          (held) => held.join() === all.join(),
        ),
      ).toEqual(all);
    }
  });

  it('a batch of one node costs ONE Redis message, whatever the number of members it reaches', async () => {
    const watcher = new Redis(redis.url);
    const messages: string[] = [];
    await watcher.subscribe(`{${keyPrefix}:pr}`);
    watcher.on('message', (_channel, message) => void messages.push(message));
    const presence = nodeA.app.get(KwsPresence);
    const ann = clients[0];
    const before = ann.of('room:x', 'kws:presence_diff').length;
    // Node A: every local member of room:x changes its meta in one turn.
    const server = nodeA.app.get(KwsServer);
    for (const kws of server.connections()) {
      const name = kws.getStringAttribute('name');
      if (name) presence.update(kws, 'room:x', name, { status: 'busy' });
    }
    await eventually(
      () => ann.of('room:x', 'kws:presence_diff').length,
      (n) => n === before + 1,
    );
    await eventually(
      () => messages.length,
      (n) => n >= 1,
    );
    await new Promise((resolve) => setTimeout(resolve, HEARTBEAT)); // nothing more follows
    expect(messages.filter((m) => !m.includes('"full"'))).toHaveLength(1);
    const change = JSON.parse(messages[0]) as { j: unknown[]; l: unknown[] };
    expect(change.j).toHaveLength(2); // ann and eve, both on node A
    expect(change.l).toHaveLength(2);
    watcher.disconnect();
  });

  it('a node killed (SIGKILL) with members present: every other node drops them within nodeTtl + heartbeat, one diff per channel', async () => {
    const ann = clients[0];
    const many = await Promise.all(
      Array.from({ length: 40 }, (_, i) => on(nodeB.port, 'room:x', `p${i}`)),
    );
    expect(many).toHaveLength(40);
    await eventually(
      () => heldBy(ann, 'room:x').length,
      (n) => n === 45,
    );
    const diffsBefore = ann.of('room:x', 'kws:presence_diff').length;
    const killedAt = Date.now();
    await nodeB.kill('SIGKILL');
    const held = await eventually(
      () => heldBy(ann, 'room:x'),
      (list) => list.join() === 'ann×1,eve×1',
      NODE_TTL + HEARTBEAT * 2 + 2_000,
    );
    const elapsed = Date.now() - killedAt;
    expect(held).toEqual(['ann×1', 'eve×1']);
    expect(elapsed).toBeLessThan(NODE_TTL + HEARTBEAT * 2 + 500);
    const diffs: ChannelPacket[] = ann.of('room:x', 'kws:presence_diff').slice(diffsBefore);
    expect(diffs).toHaveLength(1);
    expect(Object.keys(diffs[0].data.leaves)).toHaveLength(43);
    expect(Object.keys(nodeA.app.get(KwsPresence).list('room:x')).sort()).toEqual(['ann', 'eve']);
  });

  it('Redis restarts empty: every node shares its presence again and the replicas converge', async () => {
    const ann = clients[0];
    const fresh = await startApp(
      channelsApp({
        cluster: { redis: redis.url, keyPrefix, heartbeatInterval: HEARTBEAT, nodeTtl: NODE_TTL },
      }),
    );
    try {
      await redis.stop();
      await redis.restart(); // empty, as after a crash
      // A member joins on the new node right after: its change may go nowhere at first.
      const gus = await on(fresh.port, 'room:x', 'gus');
      const expected = ['ann×1', 'eve×1', 'gus×1'];
      for (const client of [ann, gus]) {
        expect(
          await eventually(
            () => heldBy(client, 'room:x'),
            (held) => held.join() === expected.join(),
            NODE_TTL * 4,
          ),
        ).toEqual(expected);
      }
    } finally {
      await fresh.app.close();
    }
  });
});
