import { describe, expect, it } from 'vitest';
import { KwsEvent } from '../../src/index.js';
import { useEchoUsers } from '../helpers/echo-users.js';
import { eventually, type TestClient } from '../helpers/ws-client.js';

describe('rooms', () => {
  const users = useEchoUsers();
  const open = (count: number) => users.open(count);

  /** What each client received, after a marker broadcast to everyone has arrived. */
  async function receivedBy(all: TestClient[]): Promise<string[][]> {
    await users.server.broadcast('marker');
    await Promise.all(
      all.map((client) =>
        eventually(
          () => client.received.at(-1)?.text,
          (text) => text === 'marker',
        ),
      ),
    );
    return all.map((client) => client.received.slice(0, -1).map((m) => m.text));
  }

  it('a room broadcast reaches its members only, once each, and except skips the sender', async () => {
    const { clients: all, kws } = await open(4);
    kws[0].join('blue');
    kws[1].join('blue', 'red');
    kws[1].join('blue');
    kws[2].join('red');
    await kws[0].broadcastTo('blue', 'to blue, not me', true);
    await users.server.broadcast('to red', { room: 'red' });
    await users.server.broadcast('to nobody', { room: 'empty' });
    expect(await receivedBy(all)).toEqual([[], ['to blue, not me', 'to red'], ['to red'], []]);
    expect(kws[1].rooms().sort()).toEqual(['blue', 'red']);
    expect(kws[1].inRoom('red')).toBe(true);
    expect(kws[3].rooms()).toEqual([]);
  });

  it('leave stops room messages; disconnect ends membership but disconnect listeners still see the rooms', async () => {
    const { clients: all, kws } = await open(3);
    for (const k of kws) k.join('lobby');
    kws[0].leave('lobby');
    expect(kws[0].inRoom('lobby')).toBe(false);
    const roomsAtDisconnect: string[][] = [];
    const off = users.server.on(
      KwsEvent.Disconnect,
      ({ kws: gone }) => void roomsAtDisconnect.push(gone.rooms()),
    );
    await all[2].close();
    await eventually(
      () => roomsAtDisconnect.length,
      (n) => n === 1,
    );
    off();
    expect(roomsAtDisconnect).toEqual([['lobby']]);
    expect(await users.server.broadcast('lobby news', { room: 'lobby' })).toEqual([]);
    expect(await receivedBy(all.slice(0, 2))).toEqual([[], ['lobby news']]);
  });

  it('membership follows the connection through setUUID', async () => {
    const { clients: all, kws } = await open(2);
    kws[1].join('renamed');
    await kws[1].setUUID('bob');
    await users.server.broadcast('still a member', { room: 'renamed' });
    expect(await receivedBy(all)).toEqual([[], ['still a member']]);
  });
});
