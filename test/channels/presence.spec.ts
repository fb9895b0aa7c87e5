import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KwsChannels, KwsPresence, KwsServer, type Kws } from '../../src/index.js';
import { channelsApp } from '../apps/channels.app.js';
import { ChannelPackets, type ChannelPacket } from '../helpers/channel-packets.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { eventually } from '../helpers/ws-client.js';

/** For each meta ref, the order in which its join and leave reached one client. */
function refEvents(packets: ChannelPacket[], channel: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const note = (ref: string, what: string) => seen.set(ref, [...(seen.get(ref) ?? []), what]);
  for (const packet of packets) {
    if (packet.channel !== channel) continue;
    if (packet.event === 'kws:presence_state') {
      for (const entry of Object.values<any>(packet.data))
        for (const m of entry.metas) note(m.kws_ref, 'state');
    } else if (packet.event === 'kws:presence_diff') {
      for (const entry of Object.values<any>(packet.data.joins))
        for (const m of entry.metas) note(m.kws_ref, 'join');
      for (const entry of Object.values<any>(packet.data.leaves))
        for (const m of entry.metas) note(m.kws_ref, 'leave');
    }
  }
  return seen;
}

describe('presence with metadata (one node)', () => {
  let running: RunningApp;
  let presence: KwsPresence;
  let channels: KwsChannels;
  let server: KwsServer;

  beforeAll(async () => {
    running = await startApp(channelsApp({ channels: { maxMetaBytes: 64 }, recovery: {} }));
    presence = running.app.get(KwsPresence);
    channels = running.app.get(KwsChannels);
    server = running.app.get(KwsServer);
  });
  afterAll(() => running.app.close());

  const open = () => ChannelPackets.open(running.wsUrl('/ws'));
  const newest = async (): Promise<Kws> => {
    const all = await eventually(
      () => [...server.connections()],
      (list) => list.length > 0,
    );
    return all.at(-1)!;
  };

  it('changes made in one turn reach members as one diff; a meta tracked and untracked in it is never seen', async () => {
    const watcher = await open();
    await watcher.join('room:batch', { name: 'watcher' });
    const others: Kws[] = [];
    const sockets: ChannelPackets[] = [];
    for (let i = 0; i < 20; i++) {
      sockets.push(await open());
      const kws = await newest();
      await channels.subscribe(kws.uuid, 'room:batch');
      others.push(kws);
    }
    await eventually(
      () => watcher.of('room:batch', 'kws:presence_diff').length,
      (n) => n === 0,
    );
    // One synchronous turn: 20 tracks, and one of them untracked again at once.
    for (const [i, kws] of others.entries()) presence.track(kws, 'room:batch', `user${i}`, { i });
    presence.untrack(others[0], 'room:batch');
    const diff = await watcher.waitFor((p) => p.event === 'kws:presence_diff');
    expect(Object.keys(diff.data.joins)).toHaveLength(19);
    expect(diff.data.joins.user0).toBeUndefined();
    expect(diff.data.leaves).toEqual({});
    expect(watcher.of('room:batch', 'kws:presence_diff')).toHaveLength(1);
    await Promise.all([watcher.close(), ...sockets.map((s) => s.close())]);
  });

  it('a client never sees a leave before the join it cancels, joins and leaves racing', async () => {
    const watcher = await open();
    await watcher.join('room:race', { name: 'watcher' });
    const churn = await Promise.all(
      Array.from({ length: 15 }, async (_, i) => {
        const client = await open();
        await client.join('room:race', { name: `u${i}` });
        if (i % 2 === 0) await client.ask({ channel: 'room:race', event: 'kws:leave' });
        else await client.close();
        return client;
      }),
    );
    const all = await eventually(
      () => refEvents(watcher.packets, 'room:race'),
      (seen) => [...seen.values()].filter((events) => events.includes('leave')).length === 15,
    );
    for (const [, events] of all) {
      if (events[0] === 'state') continue; // the watcher itself
      expect(events).toEqual(['join', 'leave']);
    }
    await Promise.all([watcher.close(), ...churn.map((c) => c.close())]);
  });

  it('update replaces a meta: members see the old leave and the new join in one diff', async () => {
    const watcher = await open();
    await watcher.join('room:upd', { name: 'watcher' });
    const kws = await newest();
    const before = presence.list('room:upd').watcher.metas[0].kws_ref;
    presence.update(kws, 'room:upd', 'watcher', { status: 'away' });
    const diff = await watcher.waitFor((p) => p.event === 'kws:presence_diff');
    expect(diff.data.leaves.watcher.metas).toEqual([{ tab: '1', kws_ref: before }]);
    expect(diff.data.joins.watcher.metas).toEqual([
      { status: 'away', kws_ref: expect.not.stringMatching(before) },
    ]);
    expect(presence.list('room:upd')).toEqual({
      watcher: { metas: [diff.data.joins.watcher.metas[0]] },
    });
    await watcher.close();
  });

  it('metas are bounded (channels.maxMetaBytes), must be objects, and only members are tracked', async () => {
    const client = await open();
    await client.join('room:meta', { name: 'm' });
    const kws = await newest();
    expect(() => presence.track(kws, 'room:meta', 'm', { blob: 'x'.repeat(100) })).toThrow(
      /A presence meta of 111 bytes is over the limit of 64 \(channels.maxMetaBytes\)/,
    );
    expect(() => presence.track(kws, 'room:meta', 'm', 'text' as never)).toThrow(
      /must be a JSON object/,
    );
    expect(() => presence.track(kws, 'room:other', 'm', {})).toThrow(/not in channel "room:other"/);
    expect(() => presence.track(kws, 'room:meta', 'k'.repeat(257), {})).toThrow(
      /1 to 256 characters/,
    );
    // The refused updates changed nothing.
    expect(presence.list('room:meta').m.metas).toEqual([{ tab: '1', kws_ref: expect.any(String) }]);
    await client.close();
  });

  it('presence follows the session: a dropped socket (recovery) is no leave; the end of the session is', async () => {
    const watcher = await open();
    await watcher.join('room:sess', { name: 'watcher' });
    const dropper = await open();
    await dropper.join('room:sess', { name: 'dropper' });
    const kws = await newest();
    await watcher.waitFor((p) => p.event === 'kws:presence_diff');
    kws.conn.terminate(); // suspended, not ended
    await eventually(
      () => kws.state,
      (state) => state === 5,
    );
    // A later change of the channel is the proof that nothing about `dropper` was sent meanwhile.
    presence.update(
      (await eventually(
        () =>
          [...server.connections()].find(
            (c) => c.getStringAttribute('name') === 'watcher' && channels.isMember(c, 'room:sess'),
          ),
        Boolean,
      )) as Kws,
      'room:sess',
      'watcher',
      { v: 2 },
    );
    await eventually(
      () => watcher.of('room:sess', 'kws:presence_diff').length,
      (n) => n === 2,
    );
    expect(presence.list('room:sess').dropper).toBeDefined();
    expect(JSON.stringify(watcher.of('room:sess', 'kws:presence_diff')[1].data)).not.toContain(
      'dropper',
    );
    // The session ends (closed while suspended): now it leaves.
    kws.close();
    const leave = await watcher.waitFor(
      (p) => p.event === 'kws:presence_diff' && p.data.leaves.dropper !== undefined,
    );
    expect(leave.data.leaves.dropper.metas).toHaveLength(1);
    expect(presence.list('room:sess').dropper).toBeUndefined();
    await watcher.close();
  });
});
