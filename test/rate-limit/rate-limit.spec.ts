import { Injectable, Logger, Module } from '@nestjs/common';
import { MessageBody } from '@nestjs/websockets';
import { describe, expect, it, vi } from 'vitest';
import {
  KwsEvent,
  KwsModule,
  KwsRateLimitError,
  KwsServer,
  OnKwsEvent,
  type KwsModuleOptions,
} from '../../src/index.js';
import { EventLog } from '../apps/event-log.js';
import { echoApp } from '../apps/echo.app.js';
import { startApp } from '../helpers/start-app.js';
import { useRunningApp } from '../helpers/app-session.js';
import { connect, eventually, type TestClient } from '../helpers/ws-client.js';

@Injectable()
class ChatListeners {
  @OnKwsEvent('chat')
  chat(@MessageBody() data: unknown): unknown {
    return data;
  }
}

describe('rateLimit', () => {
  const session = useRunningApp({ restoreMocks: true });
  const { clients } = session;

  async function start(options: KwsModuleOptions) {
    session.running = await startApp(echoApp({ path: '/ws', ...options }));
    return { log: session.running.app.get(EventLog), server: session.running.app.get(KwsServer) };
  }

  async function open(): Promise<TestClient> {
    const client = await connect(session.running!.wsUrl('/ws'));
    clients.push(client);
    return client;
  }

  /** The connection of a client, once its `connect` has run. */
  async function uuidOf(log: EventLog, index: number): Promise<string> {
    const connected = await eventually(
      () => log.named(KwsEvent.Connect),
      (events) => events.length > index,
    );
    return connected[index].socketUUID;
  }

  it('holds a flooding client to its limit while another client keeps its echo', async () => {
    // 20 at once, then 2 per second: the flood below takes well under 5 s even on a busy machine.
    const { log, server } = await start({ rateLimit: { messages: 20, per: 10_000 } });
    const flooder = await open();
    const bystander = await open();
    const flooderId = await uuidOf(log, 0);
    await uuidOf(log, 1);

    const FLOOD = 2_000;
    const started = performance.now();
    for (let i = 0; i < FLOOD; i++) flooder.send(`flood ${i}`);
    // The bystander's round trips run while the flood is being read.
    for (let i = 0; i < 20; i++) {
      bystander.send(`ping ${i}`);
      expect((await bystander.next()).text).toBe(`echo:ping ${i}`);
    }
    // Every flood frame was either passed on (and echoed) or dropped.
    await eventually(
      () => server.stats().rateLimit.drops + flooder.received.length,
      (n) => n === FLOOD,
      10_000,
    );
    const elapsedSeconds = (performance.now() - started) / 1000;
    const passed = flooder.received.length;
    expect(passed).toBeGreaterThanOrEqual(20);
    expect(passed).toBeLessThanOrEqual(20 + Math.ceil(2 * elapsedSeconds) + 1);
    expect(flooder.received[0].text).toBe('echo:flood 0');
    // One error event for the burst, not one per dropped frame; the bystander has none.
    const errors = log.of(flooderId, KwsEvent.Error);
    expect(errors).toHaveLength(1);
    expect(errors[0].error).toBeInstanceOf(KwsRateLimitError);
    expect(errors[0].error).toMatchObject({ limit: 'messages', per: 10_000 });
    expect(log.named(KwsEvent.Error)).toHaveLength(1);
    expect(server.stats().rateLimit).toEqual({ drops: FLOOD - passed, closes: 0 });
    expect(flooder.socket.readyState).toBe(flooder.socket.OPEN);
  });

  it("action 'close' closes a connection past its limit with 1008; others are untouched", async () => {
    const { log, server } = await start({
      rateLimit: { messages: 5, per: 10_000, action: 'close' },
    });
    const flooder = await open();
    const bystander = await open();
    const flooderId = await uuidOf(log, 0);
    for (let i = 0; i < 50; i++) flooder.send(`flood ${i}`);
    expect(await flooder.closed).toEqual({ code: 1008, reason: 'Rate limit exceeded' });
    expect(flooder.received.length).toBeLessThanOrEqual(5);
    await eventually(
      () => log.of(flooderId, KwsEvent.Disconnect),
      (events) => events.length === 1,
    );
    expect(log.of(flooderId, KwsEvent.Close)).toHaveLength(1);
    expect(log.of(flooderId, KwsEvent.Error)[0].error).toBeInstanceOf(KwsRateLimitError);
    expect(server.stats().rateLimit).toEqual({ drops: 0, closes: 1 });
    bystander.send('still here');
    expect((await bystander.next()).text).toBe('echo:still here');
  });

  it('limits payload bytes: a message may overdraw the bucket once, then waits for it to refill', async () => {
    const { server } = await start({ rateLimit: { bytes: 1_000, per: 10_000 } });
    const client = await open();
    const chunk = 'x'.repeat(300);
    for (let i = 0; i < 10; i++) client.send(chunk);
    await eventually(
      () => server.stats().rateLimit.drops + client.received.length,
      (n) => n === 10,
    );
    // 1000 -> 700 -> 400 -> 100 -> -200 (the fourth overdraws), then dropped until positive.
    expect(client.received).toHaveLength(4);
  });

  it('counts pings and pongs apart from messages', async () => {
    const { log, server } = await start({ rateLimit: { messages: 3, pings: 2, per: 10_000 } });
    const client = await open();
    const uuid = await uuidOf(log, 0);
    for (let i = 0; i < 5; i++) client.socket.ping();
    await eventually(
      () => server.stats().rateLimit.drops,
      (n) => n === 3,
    );
    expect(log.of(uuid, KwsEvent.Ping)).toHaveLength(2);
    // The pings did not use the message budget.
    for (let i = 0; i < 3; i++) client.send(`m${i}`);
    await client.waitForCount(3);
    expect(client.received.map((m) => m.text)).toEqual(['echo:m0', 'echo:m1', 'echo:m2']);
  });

  it('answers a dropped named event that has an id with a 429 error ack', async () => {
    @Module({
      imports: [
        KwsModule.forRoot({ path: '/ws', parser: 'json', rateLimit: { messages: 2, per: 10_000 } }),
      ],
      providers: [ChatListeners],
    })
    class ChatModule {}
    session.running = await startApp(ChatModule);
    const client = await open();
    for (let id = 1; id <= 4; id++) client.send(JSON.stringify({ event: 'chat', data: id, id }));
    client.send(JSON.stringify({ event: 'chat', data: 'no id' }));
    await client.waitForCount(4);
    // Acks come in their own time (a 429 is sent at once, a listener's when it is done): by id.
    const acks = client.received.map((m) => JSON.parse(m.text)).sort((a, b) => a.ack - b.ack);
    expect(acks).toEqual([
      { ack: 1, data: 1 },
      { ack: 2, data: 2 },
      { ack: 3, error: { message: 'Too many requests', status: 429 } },
      { ack: 4, error: { message: 'Too many requests', status: 429 } },
    ]);
    await eventually(
      () => session.running!.app.get(KwsServer).stats().rateLimit.drops,
      (n) => n === 3,
    );
    expect(client.received).toHaveLength(4);
  });

  it.each([
    [
      { rateLimit: { per: 1_000 } },
      'KwsModule option "rateLimit" must be given `messages`, `bytes` or both',
    ],
    [
      { rateLimit: { messages: 0 } },
      'KwsModule option "rateLimit.messages" must be an integer > 0, got 0.',
    ],
    [
      { rateLimit: { messages: 5, per: -1 } },
      'KwsModule option "rateLimit.per" must be a number of milliseconds > 0, got -1.',
    ],
    [
      { rateLimit: { messages: 5, action: 'block' } },
      'KwsModule option "rateLimit.action" must be \'drop\' or \'close\', got "block".',
    ],
  ])('refuses an invalid rateLimit at bootstrap: %j', async (options, message) => {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    await expect(
      startApp(echoApp({ path: '/ws', ...(options as KwsModuleOptions) })),
    ).rejects.toThrow(message);
  });
});
