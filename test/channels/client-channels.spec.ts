import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { KwsClient } from '../../src/client/index.js';
import { KwsChannelClient, type KwsPresenceEntry } from '../../src/client/channels.js';
import { KwsChannels, KwsServer } from '../../src/index.js';
import { channelsApp, joins, type RoomChannel } from '../apps/channels.app.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { eventually } from '../helpers/ws-client.js';

const names = (list: KwsPresenceEntry[]) =>
  list.map((entry) => `${entry.key}×${entry.metas.length}`).sort();

describe.each([
  ['without recovery', {}],
  ['with recovery', { recovery: {} }],
])('KwsChannelClient (nestjs-kws/client/channels) %s', (_name, extra) => {
  let running: RunningApp;
  const clients: KwsClient[] = [];

  beforeAll(async () => {
    running = await startApp(channelsApp(extra));
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });
  afterAll(() => running.app.close());

  function open(query = ''): KwsChannelClient {
    const client = new KwsClient(running.wsUrl(`/ws${query}`), {
      WebSocket,
      minDelay: 5,
      maxDelay: 20,
    });
    clients.push(client);
    return new KwsChannelClient(client);
  }

  it('joins with typed params, gets the reply, pushes, request acks and the presence list', async () => {
    const channels = open();
    const room = channels.join<RoomChannel>('room:c1', { name: 'ann' });
    expect(await room.joined).toEqual({ topic: 'room:c1' });
    expect(room.state).toBe('joined');
    const said: unknown[] = [];
    room.on('said', (message) => void said.push(message));
    expect(await room.request('say', { text: 'hello' })).toEqual({ ok: true });
    await eventually(
      () => said.length,
      (n) => n === 1,
    );
    expect(said).toEqual([{ from: 'ann', text: 'hello' }]);
    await eventually(
      () => room.presence.list().length,
      (n) => n === 1,
    );
    expect(names(room.presence.list())).toEqual(['ann×1']);
  });

  it('a refused join rejects with the reason and status, and the channel closes', async () => {
    const channels = open();
    const room = channels.join<RoomChannel>('room:closed', { name: 'ann' });
    await expect(room.joined).rejects.toMatchObject({
      message: 'This room is closed',
      status: 403,
    });
    expect(room.state).toBe('closed');
    const bad = channels.join<RoomChannel>('room:c2', { name: '' });
    await expect(bad.joined).rejects.toMatchObject({ status: 400 });
  });

  it('emits and requests made while the channel joins go out once it is joined, in order; a refused join fails them', async () => {
    const channels = open();
    const room = channels.join<RoomChannel>('room:early', { name: 'ann' });
    const said: unknown[] = [];
    room.on('said', (message) => void said.push(message));
    expect(room.state).toBe('joining');
    room.emit('say', { text: 'one' });
    const two = room.request('say', { text: 'two' });
    expect(await two).toEqual({ ok: true });
    await eventually(
      () => said.length,
      (n) => n === 2,
    );
    expect(said).toEqual([
      { from: 'ann', text: 'one' },
      { from: 'ann', text: 'two' },
    ]);
    const refused = channels.join<RoomChannel>('room:closed', { name: 'ann' });
    const never = refused.request('say', { text: 'never' });
    await expect(refused.joined).rejects.toMatchObject({ status: 403 });
    await expect(never).rejects.toMatchObject({ code: 'closed' });
    expect(() => refused.emit('say', { text: 'never' })).toThrow(/closed/);
  });

  it('presence collapses the tabs of one key and follows joins and leaves with onSync', async () => {
    const annTab1 = open('?tab=1').join<RoomChannel>('room:p1', { name: 'ann' });
    await annTab1.joined;
    const syncs: string[][] = [];
    annTab1.presence.onSync((list) => void syncs.push(names(list)));
    const annTab2 = open('?tab=2').join<RoomChannel>('room:p1', { name: 'ann' });
    const bob = open().join<RoomChannel>('room:p1', { name: 'bob' });
    await Promise.all([annTab2.joined, bob.joined]);
    await eventually(
      () => names(annTab1.presence.list()).join(),
      (s) => s === 'ann×2,bob×1',
    );
    const ann = annTab1.presence.list().find((entry) => entry.key === 'ann')!;
    expect(ann.metas.map((meta) => meta.tab).sort()).toEqual(['1', '2']);
    await eventually(
      () => names(bob.presence.list()).join(),
      (s) => s === 'ann×2,bob×1',
    );

    await annTab2.leave();
    await eventually(
      () => names(annTab1.presence.list()).join(),
      (s) => s === 'ann×1,bob×1',
    );
    clients[2].close();
    await eventually(
      () => names(annTab1.presence.list()).join(),
      (s) => s === 'ann×1',
    );
    expect(syncs.at(-1)).toEqual(['ann×1']);
  });

  it('after a reconnect a fresh session joins its channels again; a resumed one keeps them without a new join', async () => {
    const channels = open();
    const before = joins.length;
    const room = channels.join<RoomChannel>('room:r1', { name: 'ann' });
    await room.joined;
    const server = running.app.get(KwsServer);
    const kwsChannels = running.app.get(KwsChannels);
    const [uuid] = await kwsChannels.members('room:r1');
    const said: unknown[] = [];
    room.on('said', (message) => void said.push(message));
    await room.request('say', { text: 'before' });
    await eventually(
      () => said.length,
      (n) => n === 1,
    );
    // The network goes away: no close handshake.
    server.get(uuid)!.conn.terminate();
    const recovery = 'recovery' in extra;
    await eventually(
      () => channels.client.state,
      (state) => state === 'open',
    );
    const members = await eventually(
      () =>
        [...server.connections()]
          .filter((kws) => kwsChannels.isMember(kws, 'room:r1'))
          .map((kws) => kws.uuid),
      (list) => list.length === 1 && (recovery || list[0] !== uuid),
    );
    expect(members).toEqual([recovery ? uuid : expect.not.stringMatching(uuid)]);
    await eventually(() => channels.client.recovered || !recovery, Boolean);
    expect(await room.request('say', { text: 'again' })).toEqual({ ok: true });
    await eventually(
      () => said.length,
      (n) => n === 2,
    );
    // A resume replays only what was missed: the channel message received before is not again.
    expect(said).toEqual([
      { from: 'ann', text: 'before' },
      { from: 'ann', text: 'again' },
    ]);
    // The join handler ran once per session: again for a fresh one, not for a resumed one (the
    // request's ack came after anything the client sent on reconnecting).
    expect(joins.slice(before)).toEqual(
      recovery ? [`${uuid} room:r1`] : [`${uuid} room:r1`, `${members[0]} room:r1`],
    );
  });
});
