import {
  Injectable,
  Module,
  UseGuards,
  ValidationPipe,
  UsePipes,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { ConnectedSocket, MessageBody } from '@nestjs/websockets';
import { IsString, MaxLength } from 'class-validator';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { Kws, KwsEvent, KwsModule, KwsServer, OnKwsEvent } from '../../src/index.js';
import { useRunningApp } from '../helpers/app-session.js';
import { PacketClient } from '../helpers/packet-client.js';
import { pageText, printedRegion } from '../helpers/printed-code.js';
import { startApp } from '../helpers/start-app.js';
import { connect, eventually } from '../helpers/ws-client.js';

/**
 * The README's Example 2 (named events, acks, DTO validation, a guard on connect), as printed there
 * and in docs/events.md.
 */
const users = {
  fromCookie: async (cookie: string | undefined) => /(?:^|; )user=(\w+)/.exec(cookie ?? '')?.[1],
};

// printed:begin
@Injectable()
class SignedInGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    // Guards written for Nest gateways work unchanged: the client is the Kws.
    return Boolean(context.switchToWs().getClient<Kws>().getAttribute('user'));
  }
}

class SendMessage {
  @IsString() @MaxLength(500) text!: string;
  @IsString() to!: string; // a connection uuid
}

@Injectable()
@UseGuards(SignedInGuard)
class ChatHandlers {
  @OnKwsEvent(KwsEvent.Connect) // the class's guard runs first: no user, closed with 1008
  welcome(@ConnectedSocket() kws: Kws) {
    kws.join('lobby');
  }

  @OnKwsEvent('chat:send')
  @UsePipes(new ValidationPipe())
  async send(@MessageBody() message: SendMessage, @ConnectedSocket() kws: Kws) {
    await kws.emitTo(message.to, {
      event: 'chat:message',
      data: { from: kws.uuid, text: message.text },
    });
    return { delivered: true }; // the acknowledgement
  }
}
// printed:end

@Module({
  imports: [
    KwsModule.forRoot({
      path: '/ws',
      parser: 'json',
      // Seeds attributes a guard can read.
      allowUpgrade: async (req: IncomingMessage) => ({
        user: await users.fromCookie(req.headers.cookie),
      }),
      // Cookies ride along on cross-site upgrades too: only these pages may connect. Without
      // `origins`, pages of the endpoint's own host (and clients sending no Origin) may.
      origins: ['https://chat.example.com'],
    }),
  ],
  providers: [ChatHandlers],
})
class ReadmeNamedEventsModule {}

const PAGE = 'https://chat.example.com';
const README = new URL('../../README.md', import.meta.url);
const EVENTS = new URL('../../docs/events.md', import.meta.url);

describe("the README's Example 2", () => {
  const session = useRunningApp();

  it.each([
    ['README.md', README],
    ['docs/events.md', EVENTS],
  ])('is the code %s prints', (page, url) => {
    const printed = pageText(url).includes(printedRegion(import.meta.url));
    expect(printed, `${page} no longer prints the code between printed:begin and printed:end`).toBe(
      true,
    );
  });

  async function signIn(user: string): Promise<{ client: PacketClient; uuid: string }> {
    const raw = await connect(session.running!.wsUrl('/ws'), {
      headers: { Origin: PAGE, Cookie: `user=${user}` },
    });
    session.clients.push(raw);
    const client = new PacketClient(raw);
    const server = session.running!.app.get(KwsServer);
    // Connected once `welcome` ran (the guard passed): the connection is in the lobby.
    const kws = await eventually(
      () => Array.from(server.connections()).find((c) => c.getAttribute('user') === user),
      (found) => found?.inRoom('lobby') === true,
    );
    expect(kws?.inRoom('lobby')).toBe(true);
    return { client, uuid: kws!.uuid };
  }

  it('acks chat:send, delivers chat:message, answers 400 for a bad payload and 403 once the guard refuses', async () => {
    session.running = await startApp(ReadmeNamedEventsModule);
    const alice = await signIn('alice');
    const bob = await signIn('bob');

    expect(await alice.client.ask('chat:send', { to: bob.uuid, text: 'hi' })).toEqual({
      ack: 1,
      data: { delivered: true },
    });
    expect(await bob.client.nextPacket()).toEqual({
      event: 'chat:message',
      data: { from: alice.uuid, text: 'hi' },
    });

    expect(await alice.client.ask('chat:send', { to: bob.uuid, text: 42 })).toEqual({
      ack: 2,
      error: {
        message: 'text must be shorter than or equal to 500 characters; text must be a string',
        status: 400,
      },
    });

    session.running.app.get(KwsServer).get(alice.uuid)!.deleteAttribute('user');
    expect(await alice.client.ask('chat:send', { to: bob.uuid, text: 'hi' })).toEqual({
      ack: 3,
      error: { message: 'Forbidden resource', status: 403 },
    });
  });

  it('the class guard refuses a connection without a user on connect: 1008, nothing it sent runs', async () => {
    session.running = await startApp(ReadmeNamedEventsModule);
    const stranger = await connect(session.running.wsUrl('/ws'), { headers: { Origin: PAGE } });
    session.clients.push(stranger);
    stranger.send(JSON.stringify({ event: 'chat:send', data: { to: 'x', text: 'hi' }, id: 1 }));
    expect(await stranger.closed).toEqual({ code: 1008, reason: 'Forbidden resource' });
    expect(stranger.received).toEqual([]);
  });

  it('a page of another site is refused at the upgrade (403), cookies or not', async () => {
    session.running = await startApp(ReadmeNamedEventsModule);
    await expect(
      connect(session.running.wsUrl('/ws'), {
        headers: { Origin: 'https://evil.example', Cookie: 'user=alice' },
      }),
    ).rejects.toMatchObject({ status: 403 });
  });
});
