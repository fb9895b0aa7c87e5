import { Injectable, Module, ValidationPipe } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { MessageBody } from '@nestjs/websockets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kws, KwsEvent, KwsModule, OnKwsEvent, type KwsEventPayload } from '../../src/index.js';
import { ChatMessage, namedEventsApp, seenByGuard, TokenGuard } from '../apps/named-events.app.js';
import { PacketClient } from '../helpers/packet-client.js';
import { startApp, type Platform, type RunningApp } from '../helpers/start-app.js';
import { connect } from '../helpers/ws-client.js';

const roleFromQuery = (request: { url?: string }) => ({
  role: new URL(request.url ?? '/', 'http://localhost').searchParams.get('role') ?? 'guest',
});

describe.each<Platform>(['express', 'fastify'])(
  "Nest's pipeline on @OnKwsEvent (%s)",
  (platform) => {
    let running: RunningApp;

    beforeAll(async () => {
      running = await startApp(namedEventsApp({ allowUpgrade: roleFromQuery }), platform);
    });
    afterAll(() => running.app.close());

    it('a guard reading an attribute set by allowUpgrade refuses with a 403 ack, and sees the ws context', async () => {
      const guest = await PacketClient.open(running.wsUrl('/ws?role=guest'));
      const admin = await PacketClient.open(running.wsUrl('/ws?role=admin'));
      expect(await guest.ask('admin', { x: 1 })).toEqual({
        ack: 1,
        error: { message: 'Forbidden resource', status: 403 },
      });
      expect(await admin.ask('admin')).toEqual({ ack: 1, data: 'welcome, admin' });
      const first = seenByGuard.at(-2)!;
      expect(first.type).toBe('ws');
      expect(first.client).toBeInstanceOf(Kws);
      expect(first.data).toEqual({ x: 1 });
      expect(first.pattern).toBe('admin');
      await Promise.all([guest.close(), admin.close()]);
    });

    it('ValidationPipe validates a class-validator DTO: a bad payload gets a 400 ack naming the constraint', async () => {
      const client = await PacketClient.open(running.wsUrl('/ws'));
      const bad = await client.ask('chat', { text: '', priority: 99 });
      expect(bad.error?.status).toBe(400);
      expect(bad.error?.message).toContain('text must be longer than or equal to 1 characters');
      expect(bad.error?.message).toContain('priority must not be greater than 10');
      const good = await client.ask('chat', { text: 'hi', priority: 1 });
      expect(good.data).toEqual({ text: 'hi', from: expect.any(String), isDto: true });
      await client.close();
    });

    it('@MessageBody(key) and @KwsPayload() pick their arguments', async () => {
      const client = await PacketClient.open(running.wsUrl('/ws'));
      expect(await client.ask('field', { text: 'abc' })).toEqual({ ack: 1, data: 'abc@field' });
      await client.close();
    });

    it('an interceptor maps the result and an exception filter turns an error into ack data', async () => {
      const client = await PacketClient.open(running.wsUrl('/ws'));
      expect(await client.ask('shout', 'quiet')).toEqual({ ack: 1, data: 'QUIET' });
      expect(await client.ask('rescued')).toEqual({
        ack: 2,
        data: { rescued: 'handled by the filter' },
      });
      await client.close();
    });
  },
);

/** Global enhancers: an APP_GUARD on every listener (connect included) and app.useGlobalPipes. */
@Injectable()
class GlobalListeners {
  readonly connected: string[] = [];
  readonly order: string[] = [];

  @OnKwsEvent(KwsEvent.Connect)
  async connect({ kws }: KwsEventPayload): Promise<void> {
    // A slow async connect: no message may reach a listener before it has finished.
    await new Promise((resolve) => setTimeout(resolve, 150));
    this.connected.push(kws.uuid);
    this.order.push('connect-done');
  }

  @OnKwsEvent('chat')
  chat(@MessageBody() message: ChatMessage): string {
    this.order.push('chat');
    return message.text;
  }
}

@Module({
  imports: [KwsModule.forRoot({ path: '/ws', parser: 'json' })],
  providers: [GlobalListeners, { provide: APP_GUARD, useClass: TokenGuard }],
})
class GlobalEnhancersModule {}

describe('global enhancers and connect', () => {
  let running: RunningApp;

  beforeAll(async () => {
    running = await startApp(GlobalEnhancersModule, 'express', (app) =>
      app.useGlobalPipes(new ValidationPipe()),
    );
  });
  afterAll(() => running.app.close());

  it('an APP_GUARD refusing the connect listener closes the connection with 1008 before any message', async () => {
    const client = await connect(running.wsUrl('/ws'));
    client.send(JSON.stringify({ event: 'chat', data: { text: 'sneaky', priority: 1 }, id: 1 }));
    expect(await client.closed).toEqual({ code: 1008, reason: 'Forbidden resource' });
    expect(client.received).toEqual([]);
    expect(running.app.get(GlobalListeners).order).not.toContain('chat');
  });

  it('awaits an async connect before the first message, and useGlobalPipes validates DTOs', async () => {
    const listeners = running.app.get(GlobalListeners);
    const client = new PacketClient(await connect(running.wsUrl('/ws?token=t')));
    const answer = client.ask('chat', { text: 'first', priority: 1 });
    expect(await answer).toEqual({ ack: 1, data: 'first' });
    expect(listeners.order).toEqual(['connect-done', 'chat']);
    const bad = await client.ask('chat', { text: 3 });
    expect(bad.error?.status).toBe(400);
    await client.close();
  });
});
