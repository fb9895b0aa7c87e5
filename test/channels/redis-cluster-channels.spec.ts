import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KwsChannelClient } from '../../src/client/channels.js';
import { KwsChannels, KwsPresence, type KwsPresenceState } from '../../src/index.js';
import { channelsApp, type RoomChannel } from '../apps/channels.app.js';
import { ChannelPackets, heldBy, type ChannelPacket } from '../helpers/channel-packets.js';
import { spawnNodeFixture, type NodeProcess } from '../helpers/node-process.js';
import { TestRedisCluster } from '../helpers/redis-cluster.js';
import { freePort } from '../helpers/redis-processes.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { eventually } from '../helpers/ws-client.js';
import { openCuttable } from '../recovery/cuttable-client.js';

const NODE = fileURLToPath(new URL('./fixtures/channels-node.mjs', import.meta.url));
const HEARTBEAT = 200;
const NODE_TTL = 600;

/** A node's presence with each key's metas sorted by ref (nodes add them in arrival order). */
function sorted(state: KwsPresenceState<object>): KwsPresenceState<object> {
  const out: KwsPresenceState<object> = {};
  for (const key of Object.keys(state).sort()) {
    out[key] = { metas: [...state[key].metas].sort((a, b) => (a.kws_ref < b.kws_ref ? -1 : 1)) };
  }
  return out;
}

/**
 * Channels on a real Redis Cluster of three masters (one cluster for every case: starting one is
 * slow): presence shared by three Nest nodes (two in this process, one in a process of its own,
 * killed with SIGKILL), history written on one node and read on another, every key under a
 * `{<prefix>:…}` hash tag, and a session resumed on another node getting the presence it missed.
 */
describe('channels on Redis Cluster (3 masters)', () => {
  let redis: TestRedisCluster;
  let template: Cluster;
  let nodeA: RunningApp;
  let nodeB: RunningApp;
  let nodeC: NodeProcess;
  const keyPrefix = `kws-test-${randomUUID()}`;
  const clients: ChannelPackets[] = [];

  beforeAll(async () => {
    redis = await TestRedisCluster.start();
    template = new Cluster(redis.nodes, { lazyConnect: true });
    const app = () =>
      channelsApp({
        recovery: {},
        cluster: { redis: template, keyPrefix, heartbeatInterval: HEARTBEAT, nodeTtl: NODE_TTL },
      });
    nodeA = await startApp(app());
    nodeB = await startApp(app());
    nodeC = await spawnNodeFixture(
      NODE,
      {
        ...process.env,
        KWS_REDIS_CLUSTER: JSON.stringify(redis.nodes),
        KWS_PREFIX: keyPrefix,
        KWS_HEARTBEAT: String(HEARTBEAT),
        KWS_NODE_TTL: String(NODE_TTL),
      },
      'channels node',
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await nodeC?.kill('SIGKILL');
    await nodeB?.app.close();
    await nodeA?.app.close();
    template?.disconnect();
    await redis?.stop();
  });

  const on = async (port: number, channel: string, name?: string): Promise<ChannelPackets> => {
    const client = await ChannelPackets.open(`ws://127.0.0.1:${port}/ws`);
    clients.push(client);
    const ack = await client.join(channel, name === undefined ? undefined : { name });
    expect(ack.error).toBeUndefined();
    return client;
  };

  it('members on three nodes: every node and every client holds the same presence, and each change reaches both sides as the same diff', async () => {
    const ann = await on(nodeA.port, 'room:x', 'ann');
    const bob = await on(nodeB.port, 'room:x', 'bob');
    await on(nodeC.port, 'room:x', 'carl');
    const carlTab = await on(nodeC.port, 'room:x', 'carl');
    const expected = ['ann×1', 'bob×1', 'carl×2'];
    for (const client of [ann, bob]) {
      expect(
        await eventually(
          () => heldBy(client, 'room:x'),
          (held) => held.join() === expected.join(),
        ),
      ).toEqual(expected);
    }
    const listA = () => sorted(nodeA.app.get(KwsPresence).list('room:x'));
    const listB = () => sorted(nodeB.app.get(KwsPresence).list('room:x'));
    expect(Object.keys(listA())).toEqual(['ann', 'bob', 'carl']);
    expect(listB()).toEqual(listA());

    // One tab of carl closes on node C: members on A and B get the same leave.
    const before = [ann, bob].map((c) => c.of('room:x', 'kws:presence_diff').length);
    await carlTab.close();
    const diffs: ChannelPacket[] = [];
    for (const [i, client] of [ann, bob].entries()) {
      const got = await eventually(
        () => client.of('room:x', 'kws:presence_diff').slice(before[i]),
        (list) => list.length >= 1,
      );
      expect(got).toHaveLength(1);
      diffs.push(got[0]);
    }
    expect(diffs[0].data).toEqual(diffs[1].data);
    expect(diffs[0].data.joins).toEqual({});
    expect(diffs[0].data.leaves.carl.metas).toEqual([
      { node: 'process', kws_ref: expect.any(String) },
    ]);
    expect(heldBy(ann, 'room:x')).toEqual(['ann×1', 'bob×1', 'carl×1']);
    expect(listB()).toEqual(listA());
  });

  it('history written on one node is read with `since` on another; its keys, like presence, are under a {<prefix>:…} hash tag, and no PUBLISH runs', async () => {
    const writer = nodeA.app.get(KwsChannels);
    const reader = await on(nodeB.port, 'log:k');
    for (let i = 1; i <= 5; i++) await writer.broadcast('log:k', 'said', { i });
    const pushed = await eventually(
      () => reader.of('log:k', 'said'),
      (list) => list.length === 5,
    );
    expect(pushed.map((p) => p.data.i)).toEqual([1, 2, 3, 4, 5]);
    const seqs = pushed.map((p) => p.seq as string);

    // `log:*` keeps 3: after the 2nd, all is there; after the 1st, the 2nd is gone.
    const after2 = await reader.ask({
      channel: 'log:k',
      event: 'kws:history',
      data: { since: seqs[1] },
    });
    expect(after2.data).toEqual({
      messages: [3, 4, 5].map((i) => ({ seq: seqs[i - 1], event: 'said', data: { i } })),
      complete: true,
      seq: seqs[4],
    });
    const after1 = await nodeB.app.get(KwsChannels).history('log:k', { since: seqs[0] });
    expect(after1).toEqual({ messages: [], complete: false, seq: seqs[4] });
    const newest = await nodeB.app.get(KwsChannels).history('log:k', { limit: 2 });
    expect(newest.messages.map((m) => m.data)).toEqual([{ i: 4 }, { i: 5 }]);

    // Every key of this app is under a hash tag starting with its prefix; a channel's stream,
    // epoch and counter share one slot (one script each), and presence has one slot of its own.
    const keys = (await redis.perNode((shard) => shard.keys(`*${keyPrefix}*`))).flat();
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((key) => !key.startsWith(`{${keyPrefix}:`))).toEqual([]);
    const history = keys.filter((key) => key.startsWith(`{${keyPrefix}:ch:`)).sort();
    expect(history).toEqual([
      `{${keyPrefix}:ch:log:k}:e`,
      `{${keyPrefix}:ch:log:k}:h`,
      `{${keyPrefix}:ch:log:k}:n`,
    ]);
    expect(keys.some((key) => key.startsWith(`{${keyPrefix}:pr}:`))).toBe(true);
    const publishes = await redis.perNode(async (shard) => {
      const info = await shard.info('commandstats');
      return Number(/cmdstat_publish:calls=(\d+)/.exec(info)?.[1] ?? 0);
    });
    expect(publishes).toEqual([0, 0, 0]);
  });

  it('a session resumed on another node gets the presence it missed while suspended, and the others see no leave or join of it', async () => {
    const watcher = await on(nodeB.port, 'room:r', 'watcher');
    const bob = await on(nodeA.port, 'room:r', 'bob');
    const { client, cuttable, sessions } = await openCuttable(nodeA.wsUrl('/ws'), []);
    const channels = new KwsChannelClient(client);
    const room = channels.join<RoomChannel>('room:r', { name: 'ann' });
    await room.joined;
    const keysOf = () =>
      room.presence
        .list()
        .map((entry) => entry.key)
        .sort();
    expect(await eventually(keysOf, (keys) => keys.length === 3)).toEqual([
      'ann',
      'bob',
      'watcher',
    ]);
    await watcher.waitFor((p) => p.event === 'kws:presence_diff' && p.data.joins.ann);
    const watcherDiffs = watcher.of('room:r', 'kws:presence_diff').length;
    const joined: string[] = [];
    const left: string[] = [];
    room.presence.onJoin((key) => void joined.push(key));
    room.presence.onLeave((key) => void left.push(key));

    // Cut, and kept away (no node listens there) while bob leaves and dan joins.
    cuttable.port = await freePort();
    cuttable.cut();
    await eventually(
      () => Object.keys(nodeA.app.get(KwsPresence).list('room:r')).length,
      (n) => n === 3,
    );
    await bob.close();
    await on(nodeB.port, 'room:r', 'dan');
    const changed = ['ann', 'dan', 'watcher'];
    for (const node of [nodeA, nodeB]) {
      expect(
        await eventually(
          () => Object.keys(node.app.get(KwsPresence).list('room:r')).sort(),
          (keys) => keys.join() === changed.join(),
        ),
      ).toEqual(changed);
    }
    expect(keysOf()).toEqual(['ann', 'bob', 'watcher']); // missed: the socket was gone

    cuttable.port = nodeB.port; // the balancer sends the reconnect to the other node
    await eventually(
      () => sessions,
      (list) => list.length === 2,
    );
    expect(sessions.map((session) => session.recovered)).toEqual([false, true]);
    expect(await eventually(keysOf, (keys) => keys.join() === changed.join())).toEqual(changed);
    expect(joined).toEqual(['dan']);
    expect(left).toEqual(['bob']);
    // The session never ended: nobody saw ann leave or join again.
    expect(await room.request('say', { text: 'back' })).toEqual({ ok: true });
    const since = watcher.of('room:r', 'kws:presence_diff').slice(watcherDiffs);
    for (const diff of since) {
      expect(diff.data.joins.ann).toBeUndefined();
      expect(diff.data.leaves.ann).toBeUndefined();
    }
    client.close();
    const gone = await watcher.waitFor((p) => p.event === 'kws:presence_diff' && p.data.leaves.ann);
    expect(gone.data.leaves.ann.metas).toHaveLength(1);
  });

  it('a node killed (SIGKILL): every other node drops its members within nodeTtl + heartbeatInterval, one diff per channel', async () => {
    const [ann, bob] = clients; // in room:x on nodes A and B
    const many = await Promise.all(
      Array.from({ length: 20 }, (_, i) => on(nodeC.port, 'room:x', `p${i}`)),
    );
    expect(many).toHaveLength(20);
    for (const member of [ann, bob]) {
      await eventually(
        () => heldBy(member, 'room:x').length,
        (n) => n === 23,
      );
    }
    const diffsBefore = [ann, bob].map((c) => c.of('room:x', 'kws:presence_diff').length);
    const killedAt = Date.now();
    await nodeC.kill('SIGKILL');
    const expected = ['ann×1', 'bob×1'];
    for (const [i, member] of [ann, bob].entries()) {
      const held = await eventually(
        () => heldBy(member, 'room:x'),
        (list) => list.join() === expected.join(),
        NODE_TTL + HEARTBEAT + 5_000,
      );
      const elapsed = Date.now() - killedAt;
      console.log(
        `Redis Cluster: a killed node's 21 members left node ${'AB'[i]} after ${elapsed} ms`,
      );
      expect(held).toEqual(expected);
      // The documented bound (nodeTtl + heartbeatInterval after its last heartbeat), with room
      // for a loaded machine; a node never dropped would not get here at all.
      expect(elapsed).toBeLessThan(NODE_TTL + HEARTBEAT + 2_000);
      const diffs = member.of('room:x', 'kws:presence_diff').slice(diffsBefore[i]);
      expect(diffs).toHaveLength(1);
      expect(Object.keys(diffs[0].data.leaves)).toHaveLength(21);
    }
    for (const node of [nodeA, nodeB]) {
      expect(Object.keys(node.app.get(KwsPresence).list('room:x')).sort()).toEqual(['ann', 'bob']);
    }
  });
});
