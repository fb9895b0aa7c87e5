import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KwsChannelClient } from '../../src/client/channels.js';
import { KwsPresence } from '../../src/index.js';
import { channelsApp, joins, type RoomChannel } from '../apps/channels.app.js';
import { ChannelPackets } from '../helpers/channel-packets.js';
import { freePort } from '../helpers/redis-processes.js';
import { TestRedis } from '../helpers/redis-server.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { eventually } from '../helpers/ws-client.js';
import { openCuttable } from '../recovery/cuttable-client.js';

describe('presence follows the session across nodes (recovery in cluster mode)', () => {
  let redis: TestRedis;
  let nodeA: RunningApp;
  let nodeB: RunningApp;
  let nodeC: RunningApp;
  const keyPrefix = `kws-test-${randomUUID()}`;

  beforeAll(async () => {
    redis = await TestRedis.start();
    const options = () =>
      channelsApp({
        recovery: {},
        cluster: { redis: redis.url, keyPrefix, heartbeatInterval: 200, nodeTtl: 2_000 },
      });
    nodeA = await startApp(options());
    nodeB = await startApp(options());
    nodeC = await startApp(options());
  });
  afterAll(async () => {
    await nodeC?.app.close();
    await nodeB?.app.close();
    await nodeA?.app.close().catch(() => undefined);
    await redis?.stop();
  });

  it('a session resumed on another node keeps its presence: no leave, no join, and the entry moves with it', async () => {
    const watcher = await ChannelPackets.open(nodeB.wsUrl('/ws'));
    await watcher.join('room:h', { name: 'watcher' });
    const { client, cuttable, sessions } = await openCuttable(nodeA.wsUrl('/ws'), []);
    const channels = new KwsChannelClient(client);
    const before = joins.length;
    const room = channels.join<RoomChannel>('room:h', { name: 'ann' });
    await room.joined;
    await watcher.waitFor((p) => p.event === 'kws:presence_diff' && p.data.joins.ann);
    const diffs = watcher.of('room:h', 'kws:presence_diff').length;

    cuttable.port = nodeB.port; // the balancer sends the reconnect to the other node
    cuttable.cut();
    await eventually(
      () => sessions,
      (list) => list.length === 2,
    );
    expect(sessions.map((session) => session.recovered)).toEqual([false, true]);
    // Node A leaves cleanly: every entry still its own would leave with it.
    await nodeA.app.close();
    expect(await room.request('say', { text: 'still here' })).toEqual({ ok: true });
    await new Promise((resolve) => setTimeout(resolve, 400)); // two beats: a leave would be out
    expect(watcher.of('room:h', 'kws:presence_diff').slice(diffs)).toEqual([]);
    expect(Object.keys(nodeB.app.get(KwsPresence).list('room:h')).sort()).toEqual([
      'ann',
      'watcher',
    ]);
    expect(
      room.presence
        .list()
        .map((entry) => entry.key)
        .sort(),
    ).toEqual(['ann', 'watcher']);
    expect(joins.length - before).toBe(1); // no second join: the session kept its channel
    client.close();
    const left = await watcher.waitFor((p) => p.event === 'kws:presence_diff' && p.data.leaves.ann);
    expect(left.data.leaves.ann.metas).toHaveLength(1);
    await watcher.close();
  });

  for (const target of ['the same node', 'another node'] as const) {
    it(`a session resumed on ${target} gets the presence it missed while suspended (onJoin/onLeave for those changes only), and the others see no leave or join of it`, async () => {
      const home = target === 'the same node' ? nodeB : nodeC;
      const watcher = await ChannelPackets.open(nodeB.wsUrl('/ws'));
      await watcher.join('room:s', { name: 'watcher' });
      const bob = await ChannelPackets.open(nodeB.wsUrl('/ws'));
      await bob.join('room:s', { name: 'bob' });
      const { client, cuttable, sessions } = await openCuttable(home.wsUrl('/ws'), []);
      const channels = new KwsChannelClient(client);
      const room = channels.join<RoomChannel>('room:s', { name: 'ann' });
      // Before the first state: that one fills the list without calling them.
      const changes: string[] = [];
      room.presence.onJoin((key) => void changes.push(`+${key}`));
      room.presence.onLeave((key) => void changes.push(`-${key}`));
      await room.joined;
      const keysOf = () =>
        room.presence
          .list()
          .map((entry) => entry.key)
          .sort();
      await eventually(keysOf, (keys) => keys.length === 3);
      await watcher.waitFor((p) => p.event === 'kws:presence_diff' && p.data.joins.ann);
      const diffs = watcher.of('room:s', 'kws:presence_diff').length;
      expect(changes).toEqual([]);
      const syncs: string[][] = [];
      room.presence.onSync((list) => void syncs.push(list.map((entry) => entry.key).sort()));

      // Cut, and kept away (nothing listens there) while bob leaves and dan joins.
      cuttable.port = await freePort();
      cuttable.cut();
      await bob.close();
      const dan = await ChannelPackets.open(nodeB.wsUrl('/ws'));
      await dan.join('room:s', { name: 'dan' });
      const now = ['ann', 'dan', 'watcher'];
      await eventually(
        () => Object.keys(home.app.get(KwsPresence).list('room:s')).sort(),
        (keys) => keys.join() === now.join(),
      );
      expect(keysOf()).toEqual(['ann', 'bob', 'watcher']); // the socket was gone

      cuttable.port = nodeB.port;
      await eventually(
        () => sessions,
        (list) => list.length === 2,
      );
      expect(sessions.map((session) => session.recovered)).toEqual([false, true]);
      expect(await eventually(keysOf, (keys) => keys.join() === now.join())).toEqual(now);
      expect(changes.sort()).toEqual(['+dan', '-bob']);
      expect(syncs).toEqual([now]); // one update, straight to the right list
      expect(await room.request('say', { text: 'back' })).toEqual({ ok: true });
      for (const diff of watcher.of('room:s', 'kws:presence_diff').slice(diffs)) {
        expect(diff.data.joins.ann).toBeUndefined();
        expect(diff.data.leaves.ann).toBeUndefined();
      }
      client.close();
      await watcher.waitFor((p) => p.event === 'kws:presence_diff' && p.data.leaves.ann);
      await Promise.all([watcher.close(), dan.close()]);
    });
  }
});
