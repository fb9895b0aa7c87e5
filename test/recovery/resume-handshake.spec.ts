import { afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import {
  KwsDisconnectError,
  KwsEvent,
  KwsServer,
  type Kws,
  type KwsModuleOptions,
} from '../../src/index.js';
import { RECOVERY_NEEDS_PARSER } from '../../src/kws.messages.js';
import { EventLog } from '../apps/event-log.js';
import { echoApp } from '../apps/echo.app.js';
import { recoveryApp } from '../apps/recovery.app.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { WebSocket } from 'ws';
import { connect, eventually, TestClient } from '../helpers/ws-client.js';

interface Session {
  token: string;
  recovered: boolean;
  uuid: string;
}

/** A raw `ws` client speaking PROTOCOL.md by hand, to present any token and offset. */
class RawPeer {
  offset = '';

  private constructor(
    readonly client: TestClient,
    readonly session: Session,
  ) {}

  static async open(url: string): Promise<RawPeer> {
    const client = await connect(url);
    const first = JSON.parse((await client.next()).text) as { session?: Session };
    if (!first.session)
      throw new Error(`the first packet is not a session: ${JSON.stringify(first)}`);
    return new RawPeer(client, first.session);
  }

  /** The next packets, remembering the last offset as the shipped client does. */
  async packets(count: number): Promise<Array<Record<string, unknown>>> {
    const packets = [];
    for (let i = 0; i < count; i++) {
      const packet = JSON.parse((await this.client.next()).text) as Record<string, unknown>;
      if (typeof packet.offset === 'string') this.offset = packet.offset;
      packets.push(packet);
    }
    return packets;
  }

  /** Cuts the TCP connection (no close handshake). */
  cut(): void {
    (this.client.socket as unknown as { _socket: Socket })._socket.destroy();
  }
}

describe('recovery: the resume handshake, tokens and the end of a session', () => {
  let running: RunningApp | undefined;
  const peers: RawPeer[] = [];

  afterEach(async () => {
    for (const peer of peers.splice(0)) peer.client.socket.terminate();
    await running?.app.close();
    running = undefined;
  });

  async function start(options: KwsModuleOptions = {}): Promise<void> {
    running = await startApp(recoveryApp(options));
  }

  async function open(resume?: { token: string; offset: string }): Promise<RawPeer> {
    const query = resume
      ? `?kws_resume=${encodeURIComponent(resume.token)}&kws_offset=${encodeURIComponent(resume.offset)}`
      : '';
    const peer = await RawPeer.open(running!.wsUrl(`/ws${query}`));
    peers.push(peer);
    return peer;
  }

  const log = () => running!.app.get(EventLog);
  const server = () => running!.app.get(KwsServer);
  const resumeOf = (peer: RawPeer) => ({ token: peer.session.token, offset: peer.offset });

  async function dropped(peer: RawPeer): Promise<Kws> {
    const kws = server().get(peer.session.uuid)!;
    peer.cut();
    await eventually(
      () => kws.isAlive(),
      (alive) => !alive,
    );
    return kws;
  }

  it('sends the session packet first, an offset on every emit and broadcast, none on acks and requests', async () => {
    await start();
    const peer = await open();
    expect(peer.session).toEqual({
      token: expect.stringMatching(/^[\w-]{32}$/),
      recovered: false,
      uuid: expect.any(String),
    });
    const { uuid } = peer.session;
    peer.client.send(JSON.stringify({ event: 'whoami', id: 1 }));
    const [ack] = await peer.packets(1);
    expect(ack).toEqual({ ack: 1, data: expect.objectContaining({ uuid }) });
    void server()
      .request(uuid, { event: 'question' })
      .catch(() => undefined);
    await server().emitTo(uuid, { event: 'one', data: 1 });
    await server().broadcast({ event: 'two', data: 2 });
    const [request, one, two] = await peer.packets(3);
    expect(request).toEqual({ event: 'question', id: expect.any(Number) });
    expect(one).toEqual({ event: 'one', data: 1, offset: expect.any(String) });
    expect(two).toEqual({ event: 'two', data: 2, offset: expect.any(String) });
    expect(one.offset).not.toBe(two.offset);
  });

  it('replays only what came after the offset, then refuses the spent token (a fresh session)', async () => {
    await start();
    const peer = await open();
    const { uuid } = peer.session;
    await server().emitTo(uuid, { event: 'seen', data: 1 });
    await peer.packets(1);
    await dropped(peer);
    await server().emitTo(uuid, { event: 'missed', data: 2 });
    await server().broadcast({ event: 'missed', data: 3 });

    const back = await open(resumeOf(peer));
    expect(back.session).toMatchObject({ recovered: true, uuid });
    expect(back.session.token).not.toBe(peer.session.token);
    const replayed = await back.packets(2);
    expect(replayed.map((packet) => packet.data)).toEqual([2, 3]);
    expect(log().of(uuid, KwsEvent.Resume)).toHaveLength(1);

    // The token was single use.
    const again = await open(resumeOf(peer));
    expect(again.session.recovered).toBe(false);
    expect(again.session.uuid).not.toBe(uuid);
    // The live session was not disturbed by the refused attempt.
    await server().emitTo(uuid, { event: 'after', data: 4 });
    expect((await back.packets(1))[0]).toMatchObject({ event: 'after', data: 4 });
  });

  it('a forged token gets a fresh session with its own connect', async () => {
    await start();
    const peer = await open({ token: 'A'.repeat(32), offset: '' });
    expect(peer.session.recovered).toBe(false);
    await eventually(
      () => log().of(peer.session.uuid, KwsEvent.Connect),
      (events) => events.length === 1,
    );
  });

  it('an expired token is refused, after the one disconnect (kind expired)', async () => {
    await start({ recovery: { maxDisconnection: 100 } });
    const peer = await open();
    await dropped(peer);
    await eventually(
      () => log().of(peer.session.uuid, KwsEvent.Disconnect),
      (events) => events.length === 1,
    );
    const late = await open(resumeOf(peer));
    expect(late.session.recovered).toBe(false);
    expect(log().of(peer.session.uuid, KwsEvent.Disconnect)).toHaveLength(1);
    expect(log().of(peer.session.uuid, KwsEvent.Disconnect)[0].error).toMatchObject({
      kind: 'expired',
    });
  });

  it('more than maxMessages while suspended ends the session (one disconnect, kind overflow); a resume then starts fresh', async () => {
    await start({ recovery: { maxMessages: 3 } });
    const peer = await open();
    const { uuid } = peer.session;
    await dropped(peer);
    for (let n = 1; n <= 3; n++) await server().emitTo(uuid, { event: 'kept', data: n });
    expect(log().of(uuid, KwsEvent.Disconnect)).toHaveLength(0);
    await server()
      .emitTo(uuid, { event: 'kept', data: 4 })
      .catch(() => undefined);
    const [disconnect] = await eventually(
      () => log().of(uuid, KwsEvent.Disconnect),
      (events) => events.length > 0,
    );
    expect(disconnect.error).toBeInstanceOf(KwsDisconnectError);
    expect(disconnect.error).toMatchObject({ kind: 'overflow' });
    await expect(server().emitTo(uuid, { event: 'kept', data: 5 })).rejects.toThrow();
    const back = await open(resumeOf(peer));
    expect(back.session.recovered).toBe(false);
    expect(log().of(uuid, KwsEvent.Disconnect)).toHaveLength(1);
  });

  it('a resume while the server still thinks a dead socket alive takes it over after a ping goes unanswered: no disconnect, the old socket is cut', async () => {
    await start();
    const peer = await open();
    const { uuid } = peer.session;
    await server().emitTo(uuid, { event: 'one', data: 1 });
    await peer.packets(1);
    // The old path is dead (a laptop lid): it reads nothing, so it answers no ping either.
    (peer.client.socket as unknown as { _socket: Socket })._socket.pause();
    await server().emitTo(uuid, { event: 'unread', data: 2 }); // written, never read
    const back = await open(resumeOf(peer));
    expect(back.session).toMatchObject({ recovered: true, uuid });
    expect((await back.packets(1))[0]).toMatchObject({ event: 'unread', data: 2 });
    await server().emitTo(uuid, { event: 'three', data: 3 });
    expect((await back.packets(1))[0]).toMatchObject({ data: 3 });
    expect(log().of(uuid, KwsEvent.Disconnect)).toHaveLength(0);
    expect(log().of(uuid, KwsEvent.Connect)).toHaveLength(1);
  });

  it('a token alone does not take a session whose socket still answers pings: 1008, the owner keeps it', async () => {
    await start();
    const owner = await open();
    const { uuid } = owner.session;
    // Presented as the shipped client does: in the subprotocol list.
    const thief = new TestClient(
      new WebSocket(running!.wsUrl('/ws'), [
        'kws',
        `kws-resume.${owner.session.token}`,
        'kws-offset.',
      ]),
    );
    expect(await thief.closed).toEqual({ code: 1008, reason: 'Session in use' });
    expect(thief.received).toHaveLength(0);
    // The owner never noticed: same socket, same uuid, no disconnect, and it still receives.
    await server().emitTo(uuid, { event: 'still-yours', data: 1 });
    expect((await owner.packets(1))[0]).toMatchObject({ event: 'still-yours' });
    expect(log().of(uuid, KwsEvent.Disconnect)).toHaveLength(0);
    // Its token still resumes it once the owner really drops.
    owner.cut();
    const back = await open(resumeOf(owner));
    expect(back.session).toMatchObject({ recovered: true, uuid });
  });

  it('a heartbeat timeout suspends the session instead of ending it', async () => {
    await start({ pingInterval: 40, pongTimeout: 40 });
    const peer = await open();
    const { uuid } = peer.session;
    const kws = server().get(uuid)!;
    // The peer stops reading: no pong goes back.
    (peer.client.socket as unknown as { _socket: Socket })._socket.pause();
    await eventually(
      () => kws.isAlive(),
      (alive) => !alive,
    );
    await server().emitTo(uuid, { event: 'while-away', data: 1 });
    const back = await open(resumeOf(peer));
    expect(back.session).toMatchObject({ recovered: true, uuid });
    expect((await back.packets(1))[0]).toMatchObject({ event: 'while-away' });
    expect(log().of(uuid, KwsEvent.Disconnect)).toHaveLength(0);
  });

  it('a clean close ends the session at once (disconnect, error null) and voids its token', async () => {
    await start();
    const peer = await open();
    const { uuid } = peer.session;
    await peer.client.close(1000);
    const [disconnect] = await eventually(
      () => log().of(uuid, KwsEvent.Disconnect),
      (events) => events.length > 0,
    );
    expect(disconnect.error).toBeNull();
    expect((await open(resumeOf(peer))).session.recovered).toBe(false);
  });

  it('kws.close() on a suspended session ends it: close, then one disconnect with error null', async () => {
    await start();
    const peer = await open();
    const kws = await dropped(peer);
    kws.close();
    const events = log()
      .of(peer.session.uuid)
      .map((event) => event.name);
    expect(events).toEqual([KwsEvent.Connect, KwsEvent.Close, KwsEvent.Disconnect]);
    expect(log().of(peer.session.uuid, KwsEvent.Disconnect)[0].error).toBeNull();
    expect((await open(resumeOf(peer))).session.recovered).toBe(false);
  });

  it('needs a parser: refused at bootstrap with a clear message', async () => {
    await expect(startApp(echoApp({ path: '/ws', recovery: {} }))).rejects.toThrow(
      RECOVERY_NEEDS_PARSER,
    );
  });

  it('off: no session packet and no offsets', async () => {
    running = await startApp(recoveryApp({ recovery: undefined }));
    const client = await connect(running.wsUrl('/ws'));
    const uuid = Array.from(server().connections())[0]?.uuid;
    await server().emitTo(uuid!, { event: 'plain', data: 1 });
    expect(JSON.parse((await client.next()).text)).toEqual({ event: 'plain', data: 1 });
    client.socket.terminate();
  });
});
