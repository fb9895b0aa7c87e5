import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KwsClient } from '../../src/client/index.js';
import { KwsChannelClient, type KwsChannelRecovery } from '../../src/client/channels.js';
import { KwsChannels, KwsServer, type KwsModuleOptions } from '../../src/index.js';
import { CuttableSockets } from '../recovery/cuttable-socket.js';
import { channelsApp } from '../apps/channels.app.js';
import { ChannelPackets } from '../helpers/channel-packets.js';
import { TestRedis } from '../helpers/redis-server.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { eventually } from '../helpers/ws-client.js';

describe.each(['one node', 'two nodes (a Redis stream per channel)'])(
  'channel history, %s',
  (mode) => {
    const clustered = mode.startsWith('two');
    let redis: TestRedis | undefined;
    let node: RunningApp;
    /** Where clients connect: the other node in cluster mode (history is read across nodes). */
    let other: RunningApp;
    let channels: KwsChannels;
    const clients: KwsClient[] = [];

    beforeAll(async () => {
      let options: KwsModuleOptions = {};
      if (clustered) {
        redis = await TestRedis.start();
        options = { cluster: { redis: redis.url, keyPrefix: `kws-test-${randomUUID()}` } };
      }
      node = await startApp(channelsApp(options));
      other = clustered ? await startApp(channelsApp(options)) : node;
      channels = node.app.get(KwsChannels);
    });
    afterEach(() => {
      for (const client of clients.splice(0)) client.close();
    });
    afterAll(async () => {
      if (other !== node) await other.app.close();
      await node.app.close();
      await redis?.stop();
    });

    it('keeps the last `size` messages, oldest first; packets carry their seq; limit reads the newest', async () => {
      const member = await ChannelPackets.open(other.wsUrl('/ws'));
      await member.join('log:a');
      for (let i = 1; i <= 5; i++) await channels.broadcast('log:a', 'line', i);
      await eventually(
        () => member.of('log:a', 'line').length,
        (n) => n === 5,
      );
      const seqs = member.of('log:a', 'line').map((p) => p.seq as string);
      expect(new Set(seqs).size).toBe(5);
      const page = await channels.history('log:a');
      expect(page).toEqual({
        messages: [3, 4, 5].map((data, i) => ({ seq: seqs[i + 2], event: 'line', data })),
        complete: true,
        seq: seqs[4],
      });
      expect((await channels.history('log:a', { limit: 2 })).messages.map((m) => m.data)).toEqual([
        4, 5,
      ]);
      expect(await node.app.get(KwsServer).history('log:a')).toEqual(page);
      // Read on the other node: the same.
      expect(await other.app.get(KwsChannels).history('log:a')).toEqual(page);
      // The member asks for it over the socket.
      expect(
        await member.ask({ channel: 'log:a', event: 'kws:history', data: { since: seqs[2] } }),
      ).toMatchObject({
        data: { messages: [{ data: 4 }, { data: 5 }], complete: true },
      });
      await member.close();
    });

    it('since: what came after, or complete: false when it was trimmed or the epoch is another', async () => {
      const member = await ChannelPackets.open(other.wsUrl('/ws'));
      await member.join('log:b');
      for (let i = 1; i <= 5; i++) await channels.broadcast('log:b', 'line', i);
      await eventually(
        () => member.of('log:b', 'line').length,
        (n) => n === 5,
      );
      const seqs = member.of('log:b', 'line').map((p) => p.seq as string);
      const all = await channels.history('log:b');
      expect(await channels.history('log:b', { since: seqs[2] })).toEqual({
        messages: all.messages.slice(1),
        complete: true,
        seq: seqs[4],
      });
      expect(await channels.history('log:b', { since: seqs[4] })).toEqual({
        messages: [],
        complete: true,
        seq: seqs[4],
      });
      // Message 2 was trimmed (size 3): after message 1 nothing can be recovered whole.
      expect(await channels.history('log:b', { since: seqs[0] })).toEqual({
        messages: [],
        complete: false,
        seq: seqs[4],
      });
      const offset = seqs[4].slice(seqs[4].indexOf('.') + 1);
      expect(await channels.history('log:b', { since: `another.${offset}` })).toMatchObject({
        complete: false,
      });
      expect(await channels.history('log:b', { since: 'garbage' })).toMatchObject({
        complete: false,
      });
      await member.close();
    });

    it('ttl: messages older than the ttl are gone', async () => {
      await channels.broadcast('ttl:a', 'line', 'old 1');
      const { seq } = await channels.history('ttl:a');
      await channels.broadcast('ttl:a', 'line', 'old 2');
      await new Promise((resolve) => setTimeout(resolve, 350)); // the ttl itself is what is tested
      await channels.broadcast('ttl:a', 'line', 'new');
      expect((await channels.history('ttl:a')).messages.map((m) => m.data)).toEqual(['new']);
      // 'old 2' came after `seq` and is gone: not recoverable.
      expect(await channels.history('ttl:a', { since: seq })).toMatchObject({
        messages: [],
        complete: false,
      });
    });

    it('refusals: no history on the pattern (404), a stranger (403), a bad query (400)', async () => {
      await expect(channels.history('room:1')).rejects.toThrow('Channel "room:1" keeps no history');
      const client = await ChannelPackets.open(other.wsUrl('/ws'));
      expect(await client.ask({ channel: 'log:c', event: 'kws:history' })).toMatchObject({
        error: { status: 403 },
      });
      await client.join('log:c');
      expect(
        await client.ask({ channel: 'log:c', event: 'kws:history', data: { limit: 0 } }),
      ).toMatchObject({
        error: { status: 400 },
      });
      await client.join('room:h1', { name: 'x' });
      expect(await client.ask({ channel: 'room:h1', event: 'kws:history' })).toMatchObject({
        error: {
          status: 404,
          message:
            'Channel "room:h1" keeps no history (@OnKwsJoin(pattern, { history: { size, ttl } })).',
        },
      });
      await client.close();
    });

    it('a client rejoining on a fresh session gets what it missed, once and in order, or is told it cannot', async () => {
      const sockets = new CuttableSockets();
      const client = new KwsClient(other.wsUrl('/ws'), {
        WebSocket: sockets.WebSocket,
        minDelay: 5,
        maxDelay: 20,
      });
      clients.push(client);
      const log = new KwsChannelClient(client).join('log:r');
      await log.joined;
      const got: number[] = [];
      const recoveries: KwsChannelRecovery[] = [];
      log.on('line', (n: number) => void got.push(n));
      log.onRecover((recovery) => void recoveries.push(recovery));
      await channels.broadcast('log:r', 'line', 1);
      await eventually(
        () => got.length,
        (n) => n === 1,
      );
      // The network goes away, and reconnects go nowhere until `back()`.
      const away = async () => {
        sockets.port = 1;
        sockets.cut();
        await eventually(
          () => client.state,
          (state) => state !== 'open',
        );
      };
      const back = () => {
        sockets.port = undefined;
      };
      await away();
      await channels.broadcast('log:r', 'line', 2);
      await channels.broadcast('log:r', 'line', 3);
      back();
      await eventually(
        () => recoveries.length,
        (n) => n === 1,
      );
      await channels.broadcast('log:r', 'line', 4);
      await eventually(
        () => got.length,
        (n) => n === 4,
      );
      expect(got).toEqual([1, 2, 3, 4]);
      expect(recoveries[0]).toEqual({ complete: true, missed: 2 });

      await away();
      for (let i = 5; i <= 9; i++) await channels.broadcast('log:r', 'line', i);
      back();
      await eventually(
        () => recoveries.length,
        (n) => n === 2,
      );
      expect(recoveries[1]).toEqual({ complete: false, missed: 0 });
    });
  },
);
