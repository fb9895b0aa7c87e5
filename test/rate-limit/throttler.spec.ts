import { Injectable, Module, UseGuards, type ExecutionContext } from '@nestjs/common';
import { Throttle, ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { MessageBody } from '@nestjs/websockets';
import { describe, expect, it } from 'vitest';
import { KwsModule, OnKwsEvent, type Kws } from '../../src/index.js';
import { startApp } from '../helpers/start-app.js';
import { useRunningApp } from '../helpers/app-session.js';
import { connect, type TestClient } from '../helpers/ws-client.js';

// The recipe of docs/production.md, as printed: @nestjs/throttler's own guard, told where a
// WebSocket event's "request" is. Each connection has its own budget per event.
@Injectable()
export class KwsThrottlerGuard extends ThrottlerGuard {
  protected override getRequestResponse(context: ExecutionContext) {
    const kws = context.switchToWs().getClient<Kws>();
    // No HTTP response to put Retry-After headers on: the refusal is the error ack (429).
    return {
      req: { uuid: kws.uuid, ip: kws.ip, headers: { 'user-agent': kws.header('user-agent') } },
      res: {},
    };
  }

  // Per connection; return `req.ip` instead to share one budget across a client's connections.
  protected override async getTracker(req: Record<string, any>): Promise<string> {
    return req.uuid;
  }
}

@Injectable()
class ChatListeners {
  @OnKwsEvent('chat')
  @UseGuards(KwsThrottlerGuard)
  chat(@MessageBody() text: string): string {
    return `ok ${text}`;
  }

  @OnKwsEvent('search')
  @UseGuards(KwsThrottlerGuard)
  @Throttle({ default: { limit: 1, ttl: 60_000 } })
  search(@MessageBody() query: string): string {
    return `results for ${query}`;
  }

  @OnKwsEvent('typing')
  typing(): string {
    return 'seen';
  }
}

@Module({
  imports: [
    ThrottlerModule.forRoot([{ ttl: 60_000, limit: 2 }]),
    KwsModule.forRoot({ path: '/ws', parser: 'json' }),
  ],
  providers: [ChatListeners],
})
class ThrottledChatModule {}

describe('@nestjs/throttler on @OnKwsEvent listeners (docs/production.md recipe)', () => {
  const session = useRunningApp();
  const { clients } = session;

  async function open(): Promise<TestClient> {
    const client = await connect(session.running!.wsUrl('/ws'));
    clients.push(client);
    return client;
  }

  /** Sends one event with an id and resolves with its acknowledgement. */
  async function ask(
    client: TestClient,
    event: string,
    data: unknown,
    id: number,
  ): Promise<unknown> {
    client.send(JSON.stringify({ event, data, id }));
    return JSON.parse((await client.next()).text);
  }

  it('answers 429 past the limit, per event and per connection; unguarded events are not counted', async () => {
    session.running = await startApp(ThrottledChatModule);
    const alice = await open();
    const bob = await open();
    const tooMany = { message: 'ThrottlerException: Too Many Requests', status: 429 };

    expect(await ask(alice, 'chat', 'a', 1)).toEqual({ ack: 1, data: 'ok a' });
    expect(await ask(alice, 'chat', 'b', 2)).toEqual({ ack: 2, data: 'ok b' });
    expect(await ask(alice, 'chat', 'c', 3)).toEqual({ ack: 3, error: tooMany });
    // @Throttle on the method: its own, smaller limit.
    expect(await ask(alice, 'search', 'x', 4)).toEqual({ ack: 4, data: 'results for x' });
    expect(await ask(alice, 'search', 'y', 5)).toEqual({ ack: 5, error: tooMany });
    // An unguarded event, and another connection, are unaffected.
    for (let id = 6; id < 10; id++)
      expect(await ask(alice, 'typing', null, id)).toEqual({ ack: id, data: 'seen' });
    expect(await ask(bob, 'chat', 'hi', 1)).toEqual({ ack: 1, data: 'ok hi' });
    expect(alice.socket.readyState).toBe(alice.socket.OPEN);
  });
});
