import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KwsClient } from '../../src/client/index.js';
import { KwsChannelClient } from '../../src/client/channels.js';
import { KwsPresence } from '../../src/index.js';
import { channelsApp, joins, type RoomChannel } from '../apps/channels.app.js';
import { ChannelPackets } from '../helpers/channel-packets.js';
import { TestRedis } from '../helpers/redis-server.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { eventually } from '../helpers/ws-client.js';
import { CuttableSockets } from '../recovery/cuttable-socket.js';

describe('presence follows the session across nodes (recovery in cluster mode)', () => {
  let redis: TestRedis;
  let nodeA: RunningApp;
  let nodeB: RunningApp;
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
  });
  afterAll(async () => {
    await nodeB?.app.close();
    await nodeA?.app.close().catch(() => undefined);
    await redis?.stop();
  });

  it('a session resumed on another node keeps its presence: no leave, no join, and the entry moves with it', async () => {
    const watcher = await ChannelPackets.open(nodeB.wsUrl('/ws'));
    await watcher.join('room:h', { name: 'watcher' });
    const cuttable = new CuttableSockets();
    const client = new KwsClient(nodeA.wsUrl('/ws'), {
      WebSocket: cuttable.WebSocket,
      minDelay: 20,
      maxDelay: 50,
    });
    const channels = new KwsChannelClient(client);
    const sessions: boolean[] = [];
    client.onSession(({ recovered }) => void sessions.push(recovered));
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
    expect(sessions).toEqual([false, true]);
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
});
