import { Module } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KwsModule,
  KwsServer,
  LocalKwsBroker,
  type KwsBroker,
  type KwsConnectionPool,
  type KwsOutbound,
  type KwsPage,
} from '../../src/index.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { connect, eventually } from '../helpers/ws-client.js';

/** A broker of one's own, written against the published seam only: it logs, then delegates. */
class AuditingBroker extends LocalKwsBroker implements KwsBroker {
  readonly log: string[] = [];

  constructor(pool: KwsConnectionPool) {
    super(pool);
  }

  override async register(uuid: string): Promise<void> {
    this.log.push(`register ${uuid}`);
  }

  override broadcast(message: KwsOutbound, except?: string, room?: string): Promise<string[]> {
    this.log.push(`broadcast ${message.data.toString()} binary=${message.binary}`);
    return super.broadcast(message, except, room);
  }
}

let broker: AuditingBroker | undefined;

@Module({
  imports: [
    KwsModule.forRoot({
      path: '/ws',
      broker: (pool) => (broker = new AuditingBroker(pool)),
    }),
  ],
})
class CustomBrokerModule {}

describe('a broker of your own (docs/broker.md)', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp(CustomBrokerModule);
  });
  afterAll(() => running.app.close());

  it('gets every cross-connection call of Kws and KwsServer, and delivers through the pool', async () => {
    const client = await connect(running.wsUrl('/ws'));
    const server = running.app.get(KwsServer);
    await eventually(
      () => server.localCount,
      (n) => n === 1,
    );
    await server.broadcast({ event: 'news', data: 1 });
    expect((await client.next()).text).toBe('{"event":"news","data":1}');
    const uuid = [...server.connections()][0].uuid;
    expect(broker!.log).toEqual([
      `register ${uuid}`,
      'broadcast {"event":"news","data":1} binary=false',
    ]);
    client.socket.terminate();
  });
});

/** Counts the reads of room members a broker is asked for. */
class CountingBroker extends LocalKwsBroker {
  readonly reads: string[] = [];

  override roomMembers(room: string): Promise<string[]> {
    this.reads.push('roomMembers');
    return super.roomMembers(room);
  }

  override roomMembersPage(room: string, cursor: string, count: number): Promise<KwsPage> {
    this.reads.push(`roomMembersPage ${count}`);
    return super.roomMembersPage(room, cursor, count);
  }
}

/** A broker written before the paged reads: the optional `roomsPage`/`roomMembersPage` absent. */
function withoutPagedReads(broker: CountingBroker): KwsBroker {
  const older: KwsBroker = Object.create(broker);
  Object.assign(older, { roomsPage: undefined, roomMembersPage: undefined });
  return older;
}

describe.each([
  ['with paged reads', false],
  ['written before paged reads (KwsServer pages its lists)', true],
])('paged rooms through a broker of your own: %s', (_, older) => {
  let counting: CountingBroker;
  let running: RunningApp;
  beforeAll(async () => {
    @Module({
      imports: [
        KwsModule.forRoot({
          path: '/ws',
          broker: (pool) => {
            counting = new CountingBroker(pool);
            return older ? withoutPagedReads(counting) : counting;
          },
        }),
      ],
    })
    class PagedModule {}
    running = await startApp(PagedModule);
  });
  afterAll(() => running.app.close());

  it('walks every member and room, and leaving the loop early reads no further page', async () => {
    const clients = await Promise.all(
      Array.from({ length: 7 }, () => connect(running.wsUrl('/ws'))),
    );
    const server = running.app.get(KwsServer);
    await eventually(
      () => server.localCount,
      (n) => n === 7,
    );
    const uuids = [...server.connections()].map((kws) => kws.uuid);
    await Promise.all(uuids.map((uuid, i) => server.join(uuid, ['all', `own-${i}`])));
    const members: string[] = [];
    for await (const uuid of server.eachRoomMember('all', { count: 3 })) members.push(uuid);
    expect(members.sort()).toEqual([...uuids].sort());
    const rooms: string[] = [];
    for await (const room of server.eachRoom({ count: 2 })) rooms.push(room);
    expect(rooms.sort()).toEqual(['all', ...uuids.map((_, i) => `own-${i}`)].sort());
    // A member leaves mid-walk: the others are all listed, each once (both forms promise it).
    const seen: string[] = [];
    for await (const uuid of server.eachRoomMember('all', { count: 2 })) {
      if (seen.length === 2) await server.leave(seen[0], 'all');
      seen.push(uuid);
    }
    expect(seen.sort()).toEqual([...uuids].sort());

    counting.reads.length = 0;
    for await (const uuid of server.eachRoomMember('all', { count: 2 })) {
      expect(uuid).toBeTypeOf('string');
      break;
    }
    expect(counting.reads).toEqual([older ? 'roomMembers' : 'roomMembersPage 2']);
    for (const client of clients) client.socket.terminate();
  });
});
