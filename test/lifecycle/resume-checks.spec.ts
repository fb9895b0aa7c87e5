import {
  Injectable,
  Module,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { ConnectedSocket, MessageBody, WsException } from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  Kws,
  KwsDisconnectError,
  KwsEvent,
  KwsModule,
  KwsServer,
  KwsState,
  OnKwsEvent,
  type KwsAttributes,
  type KwsEventPayload,
} from '../../src/index.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { eventually, TestClient } from '../helpers/ws-client.js';

/** Users refused from now on (a ban after they connected). */
const banned = new Set<string>();
const disconnects: Array<{ uuid: string; error: Error | null }> = [];

@Injectable()
class NotBanned implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return !banned.has(context.switchToWs().getClient<Kws>().getStringAttribute('user'));
  }
}

@Injectable()
class SessionListeners {
  @UseGuards(NotBanned)
  @OnKwsEvent(KwsEvent.Connect)
  connected(): void {}

  /** The documented hook: a resume goes on only for the principal the session belongs to. */
  @OnKwsEvent(KwsEvent.Resume)
  sameUser(@ConnectedSocket() kws: Kws, @MessageBody() fresh: KwsAttributes): void {
    if (fresh.user !== kws.getAttribute('user')) throw new WsException('Not your session');
  }

  @OnKwsEvent(KwsEvent.Disconnect)
  gone({ kws, error }: KwsEventPayload): void {
    disconnects.push({ uuid: kws.uuid, error });
  }
}

@Module({
  imports: [
    KwsModule.forRoot({
      path: '/ws',
      parser: 'json',
      recovery: { maxDisconnection: 10_000 },
      // A stand-in for cookie auth: who the request is.
      allowUpgrade: (request: IncomingMessage) => ({
        user: new URL(request.url ?? '/', 'http://x').searchParams.get('user') ?? '',
      }),
    }),
  ],
  providers: [NotBanned, SessionListeners],
})
class ResumeModule {}

interface Session {
  token: string;
  uuid: string;
  recovered: boolean;
}

/** A raw client: the first packet of an accepted connection is its session. */
async function open(
  running: RunningApp,
  user: string,
  resume?: { token: string; offset: string },
): Promise<TestClient> {
  const protocols = resume
    ? ['kws', `kws-resume.${resume.token}`, `kws-offset.${resume.offset}`]
    : [];
  return new TestClient(new WebSocket(running.wsUrl(`/ws?user=${user}`), protocols));
}

async function sessionOf(client: TestClient): Promise<Session> {
  return (JSON.parse((await client.next()).text) as { session: Session }).session;
}

/** The network goes away under the client: no close frame. */
function cut(client: TestClient): void {
  (client.socket as unknown as { _socket: Socket })._socket.destroy();
}

describe('a resume is a connect', () => {
  let running: RunningApp;
  let server: KwsServer;
  beforeAll(async () => {
    running = await startApp(ResumeModule);
    server = running.app.get(KwsServer);
  });
  afterAll(() => running.app.close());

  /** A session of `user` that dropped after a message was kept for it. */
  async function droppedSession(user: string) {
    const client = await open(running, user);
    const session = await sessionOf(client);
    const kws = server.get(session.uuid)!;
    cut(client);
    await eventually(
      () => kws.state,
      (state) => state === KwsState.Suspended,
    );
    await server.emitTo(session.uuid, { event: 'private', data: `for ${user}` });
    return session;
  }

  it('a refused connection never receives a session token', async () => {
    banned.add('eve');
    const client = await open(running, 'eve');
    expect(await client.closed).toEqual({ code: 1008, reason: 'Forbidden resource' });
    expect(client.received).toHaveLength(0);
  });

  it('the owner resumes: its session, then what it missed; the fresh attributes apply', async () => {
    const session = await droppedSession('ann');
    const back = await open(running, 'ann', { token: session.token, offset: '' });
    expect(await sessionOf(back)).toMatchObject({ uuid: session.uuid, recovered: true });
    expect(JSON.parse((await back.next()).text)).toMatchObject({
      event: 'private',
      data: 'for ann',
    });
    back.socket.terminate();
  });

  it('a user banned since connecting gets neither the session nor its kept messages; it ends with one disconnect (refused)', async () => {
    const session = await droppedSession('bob');
    banned.add('bob');
    const back = await open(running, 'bob', { token: session.token, offset: '' });
    expect(await back.closed).toEqual({ code: 1008, reason: 'Forbidden resource' });
    expect(back.received).toHaveLength(0);
    const ended = disconnects.filter(({ uuid }) => uuid === session.uuid);
    expect(ended).toHaveLength(1);
    expect(ended[0].error).toBeInstanceOf(KwsDisconnectError);
    expect((ended[0].error as KwsDisconnectError).kind).toBe('refused');
    expect(server.get(session.uuid)).toBeUndefined();
  });

  it('another principal presenting the token is refused by the resume hook: nothing is replayed', async () => {
    const session = await droppedSession('carol');
    const thief = await open(running, 'mallory', { token: session.token, offset: '' });
    expect(await thief.closed).toEqual({ code: 1008, reason: 'Not your session' });
    expect(thief.received).toHaveLength(0);
    // Spent: the token names nothing now, on any later attempt.
    const again = await open(running, 'carol', { token: session.token, offset: '' });
    const fresh = await sessionOf(again);
    expect(fresh.recovered).toBe(false);
    expect(fresh.uuid).not.toBe(session.uuid);
    again.socket.terminate();
  });
});
