import { describe, expect, it } from 'vitest';
import {
  Kws,
  KwsState,
  KwsEncodeError,
  KwsError,
  KwsEvent,
  KwsInvalidConnectionError,
  KwsServer,
} from '../../src/index.js';
import { EventLog } from '../apps/event-log.js';
import { useRunningApp } from '../helpers/app-session.js';
import { watchCrashes } from '../helpers/crash-watch.js';
import { PacketClient } from '../helpers/packet-client.js';
import { publicMembers } from '../helpers/public-members.js';
import { startApp } from '../helpers/start-app.js';
import { eventually } from '../helpers/ws-client.js';
import { hostileApp } from './hostile.app.js';

// "Cannot crash when not awaited", for every public member of Kws and KwsServer (enumerated from
// the classes, so a new member fails this spec until it has its cases): each is called without
// await on a closed connection, an unknown uuid and with unencodable data where it takes those,
// the turn ends (an unhandled rejection would be reported then), and only then is its documented
// outcome checked.

type ErrorClass = abstract new (...args: never[]) => Error;

/** What a call is documented to do. */
type Outcome =
  | { returns: (value: unknown) => void }
  | { resolves: (value: unknown) => void }
  | { rejects: ErrorClass };

interface Case {
  /** closed, closing (the same turn as `close()`), unknown uuid, unencodable, or plain. */
  scenario: string;
  call: () => unknown;
  outcome: Outcome;
  /** `error` events this call fires on the live connection (a Kws member's reports). */
  errorEvents?: number;
}

const BAD = { event: 'bad', data: { total: 10n } };
const UNKNOWN = 'no-such-uuid';
const isString = (value: unknown) => expect(typeof value).toBe('string');
const isNumber = (value: unknown) => expect(typeof value).toBe('number');
const isUndefined = (value: unknown) => expect(value).toBeUndefined();
const isFunction = (value: unknown) => expect(typeof value).toBe('function');
const isAsyncIterator = (value: unknown) =>
  expect(typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator]).toBe('function');
const equals = (expected: unknown) => (value: unknown) => expect(value).toEqual(expected);

/** The cases of every public member of `Kws`: `closed` has ended, `live` is open. */
function kwsCases(closed: Kws, live: Kws): Record<string, Case[]> {
  const onClosed = (call: (kws: Kws) => unknown, outcome: Outcome): Case => ({
    scenario: 'closed',
    call: () => call(closed),
    outcome,
  });
  const onLive = (
    scenario: string,
    call: (kws: Kws) => unknown,
    outcome: Outcome,
    errorEvents = 0,
  ) => ({
    scenario,
    call: () => call(live),
    outcome,
    errorEvents,
  });
  return {
    uuid: [onClosed((kws) => kws.uuid, { returns: equals(closed.uuid) })],
    getUUID: [onClosed((kws) => kws.getUUID(), { returns: equals(closed.uuid) })],
    setUUID: [
      onClosed((kws) => kws.setUUID('taken-after-close'), { rejects: KwsInvalidConnectionError }),
    ],
    setAttribute: [onClosed((kws) => kws.setAttribute('k', 1), { returns: isUndefined })],
    getAttribute: [onClosed((kws) => kws.getAttribute('k'), { returns: equals(1) })],
    deleteAttribute: [onClosed((kws) => kws.deleteAttribute('k'), { returns: isUndefined })],
    getStringAttribute: [onClosed((kws) => kws.getStringAttribute('k'), { returns: equals('') })],
    getIntAttribute: [onClosed((kws) => kws.getIntAttribute('k'), { returns: equals(0) })],
    params: [onClosed((kws) => kws.params('id', 'none'), { returns: equals('none') })],
    query: [onClosed((kws) => kws.query('q', 'none'), { returns: equals('none') })],
    header: [onClosed((kws) => kws.header('x-none', 'none'), { returns: equals('none') })],
    cookies: [onClosed((kws) => kws.cookies('c', 'none'), { returns: equals('none') })],
    ip: [onClosed((kws) => kws.ip, { returns: isString })],
    emit: [
      onClosed((kws) => kws.emit('late'), { returns: equals(false) }),
      onLive('unencodable', (kws) => kws.emit(BAD), { returns: equals(false) }, 1),
    ],
    drained: [onClosed((kws) => kws.drained(), { rejects: KwsInvalidConnectionError })],
    bufferedAmount: [onClosed((kws) => kws.bufferedAmount, { returns: isNumber })],
    request: [
      onClosed((kws) => kws.request({ event: 'q' }), { rejects: KwsInvalidConnectionError }),
      onLive('unencodable', (kws) => kws.request(BAD), { rejects: KwsEncodeError }, 1),
    ],
    emitTo: [
      onClosed((kws) => kws.emitTo(live.uuid, 'late'), { resolves: isUndefined }),
      onLive(
        'closed uuid',
        (kws) => kws.emitTo(closed.uuid, 'x'),
        { rejects: KwsInvalidConnectionError },
        1,
      ),
      onLive(
        'unknown uuid',
        (kws) => kws.emitTo(UNKNOWN, 'x'),
        { rejects: KwsInvalidConnectionError },
        1,
      ),
      onLive('unencodable', (kws) => kws.emitTo(live.uuid, BAD), { rejects: KwsEncodeError }, 1),
    ],
    emitToList: [
      onLive(
        'closed uuid',
        (kws) => kws.emitToList([closed.uuid], 'x'),
        { resolves: equals([closed.uuid]) },
        1,
      ),
      onLive(
        'unknown uuid',
        (kws) => kws.emitToList([UNKNOWN], 'x'),
        { resolves: equals([UNKNOWN]) },
        1,
      ),
      onLive(
        'unencodable',
        (kws) => kws.emitToList([live.uuid], BAD),
        { rejects: KwsEncodeError },
        1,
      ),
    ],
    broadcast: [
      onClosed((kws) => kws.broadcast('late', true), { resolves: isUndefined }),
      onLive('unencodable', (kws) => kws.broadcast(BAD), { rejects: KwsEncodeError }, 1),
    ],
    broadcastTo: [
      onClosed((kws) => kws.broadcastTo('room', 'late'), { resolves: isUndefined }),
      onLive('unencodable', (kws) => kws.broadcastTo('room', BAD), { rejects: KwsEncodeError }, 1),
    ],
    join: [onClosed((kws) => kws.join('after-close'), { returns: isUndefined })],
    leave: [onClosed((kws) => kws.leave('after-close'), { returns: isUndefined })],
    rooms: [
      onClosed((kws) => kws.rooms(), {
        returns: (rooms) => expect(rooms).not.toContain('after-close'),
      }),
    ],
    inRoom: [onClosed((kws) => kws.inRoom('after-close'), { returns: equals(false) })],
    fire: [onClosed((kws) => kws.fire('custom', 'late'), { returns: isUndefined })],
    close: [onClosed((kws) => kws.close(), { returns: isUndefined })],
    isAlive: [onClosed((kws) => kws.isAlive(), { returns: equals(false) })],
    state: [onClosed((kws) => kws.state, { returns: equals(KwsState.Ended) })],
  };
}

/** The cases of every public member of `KwsServer`. */
function serverCases(
  server: KwsServer,
  closed: Kws,
  live: Kws,
  closing: () => Promise<string>,
): Record<string, Array<Case | (() => Promise<Case>)>> {
  const on = (scenario: string, call: () => unknown, outcome: Outcome): Case => ({
    scenario,
    call,
    outcome,
  });
  /** The same call on a uuid closed in this very turn (the connection is still closing). */
  const justClosed = (call: (uuid: string) => unknown, outcome: Outcome) => async () => {
    const uuid = await closing();
    return on('closing', () => call(uuid), outcome);
  };
  const c = closed.uuid;
  return {
    emitTo: [
      on('closed', () => server.emitTo(c, 'x'), { rejects: KwsInvalidConnectionError }),
      justClosed((uuid) => server.emitTo(uuid, 'x'), { rejects: KwsInvalidConnectionError }),
      on('unknown uuid', () => server.emitTo(UNKNOWN, 'x'), { rejects: KwsInvalidConnectionError }),
      on('unencodable', () => server.emitTo(live.uuid, BAD), { rejects: KwsEncodeError }),
    ],
    emitToList: [
      on('closed', () => server.emitToList([c], 'x'), { resolves: equals([c]) }),
      on('unknown uuid', () => server.emitToList([UNKNOWN], 'x'), { resolves: equals([UNKNOWN]) }),
      on('unencodable', () => server.emitToList([live.uuid], BAD), { rejects: KwsEncodeError }),
    ],
    broadcast: [
      on('closed', () => server.broadcast('x', { except: c }), { resolves: equals([]) }),
      on('unencodable', () => server.broadcast(BAD), { rejects: KwsEncodeError }),
    ],
    broadcastTo: [
      on('closed', () => server.broadcastTo('room', 'x', { except: c }), { resolves: equals([]) }),
      on('unencodable', () => server.broadcastTo('room', BAD), { rejects: KwsEncodeError }),
    ],
    request: [
      on('closed', () => server.request(c, { event: 'q' }), { rejects: KwsInvalidConnectionError }),
      justClosed((uuid) => server.request(uuid, { event: 'q' }), {
        rejects: KwsInvalidConnectionError,
      }),
      on('unknown uuid', () => server.request(UNKNOWN, { event: 'q' }), {
        rejects: KwsInvalidConnectionError,
      }),
      on('unencodable', () => server.request(live.uuid, BAD), { rejects: KwsEncodeError }),
    ],
    fire: [
      on('plain', () => server.fire('custom', 'x'), { resolves: isUndefined }),
      // Raw bytes only: anything else is "data of the wrong type", a rejection.
      on('unencodable', () => server.fire('custom', 10n as never), { rejects: TypeError }),
    ],
    get: [
      on('closed', () => server.get(c), { returns: isUndefined }),
      on('unknown uuid', () => server.get(UNKNOWN), { returns: isUndefined }),
    ],
    connections: [
      on('closed', () => [...server.connections()].map((kws) => kws.uuid), {
        returns: (uuids) => expect(uuids).not.toContain(c),
      }),
    ],
    count: [on('plain', () => server.count(), { resolves: isNumber })],
    localCount: [on('plain', () => server.localCount, { returns: isNumber })],
    stats: [
      on('plain', () => server.stats(), { returns: (stats) => expect(stats).toBeTypeOf('object') }),
    ],
    close: [
      on('closed', () => server.close(c), { rejects: KwsInvalidConnectionError }),
      on('unknown uuid', () => server.close(UNKNOWN), { rejects: KwsInvalidConnectionError }),
    ],
    closeAll: [on('plain', () => server.closeAll(4000, 'all of them'), { resolves: isUndefined })],
    roomSize: [on('plain', () => server.roomSize('room'), { resolves: isNumber })],
    roomMembers: [
      on('closed', () => server.roomMembers('room'), {
        resolves: (uuids) => expect(uuids).not.toContain(c),
      }),
    ],
    rooms: [
      on('plain', () => server.rooms(), {
        resolves: (rooms) => expect(Array.isArray(rooms)).toBe(true),
      }),
    ],
    roomsPage: [
      on('plain', () => server.roomsPage(), {
        resolves: (page) => expect(page).toEqual({ items: ['room'], cursor: '' }),
      }),
      on('forged cursor', () => server.roomsPage({ cursor: 'forged!' }), { rejects: KwsError }),
      on('bad count', () => server.roomsPage({ count: -1 }), { rejects: KwsError }),
    ],
    roomMembersPage: [
      on('closed', () => server.roomMembersPage('room'), {
        resolves: (page) => expect(page).toEqual({ items: [live.uuid], cursor: '' }),
      }),
      on('forged cursor', () => server.roomMembersPage('room', { cursor: 'forged!' }), {
        rejects: KwsError,
      }),
      on('bad name', () => server.roomMembersPage(''), { rejects: KwsError }),
    ],
    // Nothing runs until the first step: an iterator nobody walks cannot fail.
    eachRoom: [on('bad count', () => server.eachRoom({ count: 0 }), { returns: isAsyncIterator })],
    eachRoomMember: [on('bad name', () => server.eachRoomMember(''), { returns: isAsyncIterator })],
    join: [
      on('closed', () => server.join(c, 'room'), { rejects: KwsInvalidConnectionError }),
      justClosed((uuid) => server.join(uuid, 'room'), { rejects: KwsInvalidConnectionError }),
      on('unknown uuid', () => server.join(UNKNOWN, 'room'), {
        rejects: KwsInvalidConnectionError,
      }),
    ],
    leave: [
      on('closed', () => server.leave(c, 'room'), { rejects: KwsInvalidConnectionError }),
      justClosed((uuid) => server.leave(uuid, 'room'), { rejects: KwsInvalidConnectionError }),
      on('unknown uuid', () => server.leave(UNKNOWN, 'room'), {
        rejects: KwsInvalidConnectionError,
      }),
    ],
    onPresence: [on('plain', () => server.onPresence(() => undefined), { returns: isFunction })],
    on: [on('plain', () => server.on('custom', () => undefined), { returns: isFunction })],
    off: [on('plain', () => server.off('custom'), { returns: isUndefined })],
    draining: [on('plain', () => server.draining, { returns: equals(false) })],
    subscribe: [
      on('closed', () => server.subscribe(c, 'room:1'), { rejects: KwsInvalidConnectionError }),
      on('unknown uuid', () => server.subscribe(UNKNOWN, 'room:1'), {
        rejects: KwsInvalidConnectionError,
      }),
      on('bad name', () => server.subscribe(live.uuid, ''), { rejects: KwsError }),
    ],
    unsubscribe: [
      on('closed', () => server.unsubscribe(c, 'room:1'), { rejects: KwsInvalidConnectionError }),
      on('unknown uuid', () => server.unsubscribe(UNKNOWN, 'room:1'), {
        rejects: KwsInvalidConnectionError,
      }),
      on('bad name', () => server.unsubscribe(live.uuid, ''), { rejects: KwsError }),
    ],
    history: [on('no history', () => server.history('room:1'), { rejects: KwsError })],
  };
}

describe('no public member of Kws or KwsServer can crash the process when not awaited', () => {
  const session = useRunningApp();
  const watch = watchCrashes();

  async function connectOne(log: EventLog): Promise<Kws> {
    const before = log.named(KwsEvent.Connect).length;
    const client = await PacketClient.open(session.running!.wsUrl('/ws'));
    session.clients.push(client.raw);
    const connected = await eventually(
      () => log.named(KwsEvent.Connect),
      (events) => events.length > before,
    );
    return connected[before].kws;
  }

  /** One connection closed by its client (its `disconnect` ran) and one live one in `room`. */
  async function start(): Promise<{ closed: Kws; live: Kws; log: EventLog }> {
    session.running = await startApp(hostileApp());
    const log = session.running.app.get(EventLog);
    const closed = await connectOne(log);
    closed.setAttribute('k', 1);
    session.clients.at(-1)!.socket.close();
    await eventually(
      () => log.of(closed.uuid, KwsEvent.Disconnect),
      (events) => events.length === 1,
    );
    const live = await connectOne(log);
    live.join('room');
    return { closed, live, log };
  }

  /** Calls without await, lets the turn end, checks nothing escaped, then the outcome. */
  async function check(member: string, { scenario, call, outcome }: Case): Promise<void> {
    const label = `${member} (${scenario})`;
    let result: unknown;
    expect(() => (result = call()), label).not.toThrow();
    expect(await watch.settled(), label).toEqual([]);
    if ('returns' in outcome) outcome.returns(result);
    else if ('resolves' in outcome) outcome.resolves(await (result as Promise<unknown>));
    else await expect(result as Promise<unknown>, label).rejects.toBeInstanceOf(outcome.rejects);
  }

  it('Kws: closed connection, unknown uuid, unencodable data: the documented outcome, no crash', async () => {
    const { closed, live, log } = await start();
    const all = kwsCases(closed, live);
    // Every public member has its cases (a new one fails here until it gets them).
    expect(Object.keys(all).sort()).toEqual(publicMembers(Kws, 'src/connection/kws.ts').sort());
    for (const [member, cases] of Object.entries(all)) {
      for (const kase of cases) {
        const before = log.of(live.uuid, KwsEvent.Error).length;
        await check(member, kase);
        await eventually(
          () => log.of(live.uuid, KwsEvent.Error).length - before,
          (count) => count >= (kase.errorEvents ?? 0),
        );
        expect(
          log.of(live.uuid, KwsEvent.Error).length - before,
          `${member} (${kase.scenario}): error events`,
        ).toBe(kase.errorEvents ?? 0);
      }
    }
    expect(live.isAlive()).toBe(true);
  });

  it('KwsServer: closed, closing and unknown uuids, unencodable data: the documented outcome, no crash', async () => {
    const { closed, live, log } = await start();
    const server = session.running!.app.get(KwsServer);
    const closing = async (): Promise<string> => {
      const kws = await connectOne(log);
      kws.close();
      return kws.uuid;
    };
    const cases = serverCases(server, closed, live, closing);
    expect(Object.keys(cases).sort()).toEqual(
      publicMembers(KwsServer, 'src/server/kws.server.ts').sort(),
    );
    // closeAll last: it ends the live connection the other cases use.
    const { closeAll, ...others } = cases;
    for (const [member, list] of [...Object.entries(others), ['closeAll', closeAll] as const]) {
      for (const entry of list)
        await check(member, typeof entry === 'function' ? await entry() : entry);
    }
  });
});
