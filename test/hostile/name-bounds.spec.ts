import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  KwsEncodeError,
  KwsError,
  KwsEvent,
  KwsServer,
  type Kws,
  type KwsModuleOptions,
} from '../../src/index.js';
import { MAX_EVENT_NAME_LENGTH, MAX_ROOM_NAME_LENGTH } from '../../src/kws.constants.js';
import { EventLog } from '../apps/event-log.js';
import { useRunningApp } from '../helpers/app-session.js';
import { watchCrashes } from '../helpers/crash-watch.js';
import { PacketClient } from '../helpers/packet-client.js';
import { startApp } from '../helpers/start-app.js';
import { eventually } from '../helpers/ws-client.js';
import { hostileApp } from './hostile.app.js';

const LONG_EVENT = 'e'.repeat(MAX_EVENT_NAME_LENGTH + 1);
const LONGEST_EVENT = 'e'.repeat(MAX_EVENT_NAME_LENGTH);
const LONG_ROOM = 'r'.repeat(MAX_ROOM_NAME_LENGTH + 1);
const LONGEST_ROOM = 'r'.repeat(MAX_ROOM_NAME_LENGTH);

describe('bounds on names and rooms, with documented defaults and clear errors', () => {
  const session = useRunningApp({ restoreMocks: true });
  const watch = watchCrashes();

  async function start(
    options: KwsModuleOptions = {},
  ): Promise<{ client: PacketClient; kws: Kws; log: EventLog; server: KwsServer }> {
    session.running = await startApp(hostileApp(options));
    const log = session.running.app.get(EventLog);
    const client = await PacketClient.open(session.running.wsUrl('/ws'));
    session.clients.push(client.raw);
    const [connected] = await eventually(
      () => log.named(KwsEvent.Connect),
      (events) => events.length === 1,
    );
    return { client, kws: connected.kws, log, server: session.running.app.get(KwsServer) };
  }

  it(`event names the server sends have 1 to ${MAX_EVENT_NAME_LENGTH} characters, as the clients'`, async () => {
    const { client, kws, log, server } = await start();
    const long = { event: LONG_EVENT, data: 1 };
    expect(kws.emit(long)).toBe(false);
    const [failure] = log.of(kws.uuid, KwsEvent.Error);
    expect(failure.error).toBeInstanceOf(KwsEncodeError);
    expect(failure.error!.message).toBe(
      `An event name must be a string of 1 to ${MAX_EVENT_NAME_LENGTH} characters, got 129 characters ("eeeeeeeeeeeeeeeeeeee...").`,
    );
    expect(kws.emit({ event: '', data: 1 })).toBe(false);
    await expect(kws.request(long)).rejects.toBeInstanceOf(KwsEncodeError);
    await expect(kws.broadcastTo('room', long)).rejects.toBeInstanceOf(KwsEncodeError);
    await expect(server.emitTo(kws.uuid, long)).rejects.toBeInstanceOf(KwsEncodeError);
    await expect(server.broadcast(long)).rejects.toBeInstanceOf(KwsEncodeError);
    await expect(server.request(kws.uuid, long)).rejects.toBeInstanceOf(KwsEncodeError);
    await expect(server.fire(LONG_EVENT)).rejects.toBeInstanceOf(KwsEncodeError);
    expect(kws.pendingRequests).toBe(0);
    // Nothing reached the client; the longest name does.
    expect(kws.emit({ event: LONGEST_EVENT, data: 2 })).toBe(true);
    expect(await client.nextPacket()).toEqual({ event: LONGEST_EVENT, data: 2 });
    expect(await watch.settled()).toEqual([]);
  });

  it(`room names have 1 to ${MAX_ROOM_NAME_LENGTH} characters; a bad one joins nothing`, async () => {
    const { kws, server } = await start();
    expect(() => kws.join('ok', LONG_ROOM)).toThrow(KwsError);
    expect(() => kws.join('ok', LONG_ROOM)).toThrow(
      `A room name must be a string of 1 to ${MAX_ROOM_NAME_LENGTH} characters, got 129 characters`,
    );
    expect(() => kws.join('')).toThrow(KwsError);
    expect(() => kws.join(42 as never)).toThrow('got number');
    expect(kws.rooms()).toEqual([]);
    await expect(server.join(kws.uuid, ['ok', LONG_ROOM])).rejects.toBeInstanceOf(KwsError);
    await expect(server.leave(kws.uuid, LONG_ROOM)).rejects.toBeInstanceOf(KwsError);
    await expect(server.broadcastTo(LONG_ROOM, 'x')).rejects.toBeInstanceOf(KwsError);
    await expect(kws.broadcastTo(LONG_ROOM, 'x')).rejects.toBeInstanceOf(KwsError);
    expect(kws.rooms()).toEqual([]);
    kws.join(LONGEST_ROOM);
    await server.join(kws.uuid, 'ok');
    expect(kws.rooms().sort()).toEqual(['ok', LONGEST_ROOM]);
    expect(await watch.settled()).toEqual([]);
  });

  it('a connection is in at most 1,000 rooms by default; past it join throws and joins none', async () => {
    const { kws, server } = await start();
    const rooms = Array.from({ length: 1_000 }, (_, i) => `room-${i}`);
    kws.join(...rooms);
    kws.join('room-0'); // already a member: no new room
    expect(() => kws.join('one-more')).toThrow(
      `cannot join more than 1000 rooms (maxRoomsPerConnection)`,
    );
    await expect(server.join(kws.uuid, 'one-more')).rejects.toBeInstanceOf(KwsError);
    expect(kws.rooms()).toHaveLength(1_000);
    expect(kws.inRoom('one-more')).toBe(false);
    kws.leave('room-0');
    kws.join('one-more');
    expect(kws.rooms()).toHaveLength(1_000);
  });

  it('maxRoomsPerConnection sets the bound; a join past it in a listener is a 500 ack and an error event', async () => {
    const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const { client, kws, log, server } = await start({ maxRoomsPerConnection: 2 });
    expect(await client.ask('join', ['a', 'b', 'a'])).toEqual({ ack: 1, data: 2 });
    expect(await client.ask('join', ['c'])).toEqual({
      ack: 2,
      error: { message: 'Internal error', status: 500 },
    });
    const errors = log.of(kws.uuid, KwsEvent.Error);
    expect(errors).toHaveLength(1);
    expect(errors[0].error).toBeInstanceOf(KwsError);
    expect(errors[0].error!.message).toMatch(/cannot join more than 2 rooms/);
    expect(logged).toHaveBeenCalledTimes(1);
    await expect(server.join(kws.uuid, ['a', 'c'])).rejects.toThrow(/more than 2 rooms/);
    expect(kws.rooms().sort()).toEqual(['a', 'b']);
    expect(await watch.settled()).toEqual([]);
  });
});

describe('maxRoomsPerConnection is checked at bootstrap', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([0, -1, 1.5, Number.NaN, '10'])('%s fails naming the option', async (value) => {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    await expect(startApp(hostileApp({ maxRoomsPerConnection: value as number }))).rejects.toThrow(
      `KwsModule option "maxRoomsPerConnection" must be an integer > 0, got`,
    );
  });
});
