import { Injectable, Module } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import {
  KwsEvent,
  KwsInFlightLimitError,
  KwsModule,
  KwsServer,
  OnKwsChannelEvent,
  OnKwsEvent,
  OnKwsJoin,
  type KwsEventPayload,
  type KwsModuleOptions,
} from '../../src/index.js';
import { startApp } from '../helpers/start-app.js';
import { useRunningApp } from '../helpers/app-session.js';
import { connect, eventually, type TestClient } from '../helpers/ws-client.js';

/** Async listeners that hold every call until the test opens the gate. */
@Injectable()
class SlowListeners {
  started = 0;
  errors: Error[] = [];
  private open!: () => void;
  private gate = this.closedGate();

  release(): void {
    this.open();
    this.gate = this.closedGate();
  }

  private closedGate(): Promise<void> {
    return new Promise((resolve) => (this.open = resolve));
  }

  @OnKwsEvent('slow')
  async slow(): Promise<string> {
    this.started++;
    await this.gate;
    return 'done';
  }

  @OnKwsEvent(KwsEvent.Message)
  async message(): Promise<void> {
    this.started++;
    await this.gate;
  }

  @OnKwsJoin('slow:*')
  joinSlow(): boolean {
    return true;
  }

  /** A channel's handler is held by the same gate: channel packets count against the bound. */
  @OnKwsChannelEvent('slow:*', 'work')
  async work(): Promise<string> {
    this.started++;
    await this.gate;
    return 'worked';
  }

  @OnKwsEvent(KwsEvent.Error)
  error({ error }: KwsEventPayload): void {
    if (error) this.errors.push(error);
  }
}

function appWith(options: KwsModuleOptions) {
  @Module({ imports: [KwsModule.forRoot({ path: '/ws', ...options })], providers: [SlowListeners] })
  class InFlightApp {}
  return InFlightApp;
}

describe('maxInFlight', () => {
  const session = useRunningApp();

  async function start(options: KwsModuleOptions) {
    session.running = await startApp(appWith(options));
    const client = await connect(session.running.wsUrl('/ws'));
    session.clients.push(client);
    const { app } = session.running;
    return { client, listeners: app.get(SlowListeners), server: app.get(KwsServer) };
  }

  function acks(client: TestClient): Array<{ ack: number; data?: unknown; error?: unknown }> {
    return client.received.map((m) => JSON.parse(m.text)).filter((p) => p.ack !== undefined);
  }

  it('holds 128 events with an id per connection by default; the rest get a 429 ack at once', async () => {
    const { client, listeners, server } = await start({ parser: 'json' });
    const SENT = 2_000;
    for (let id = 1; id <= SENT; id++) client.send(JSON.stringify({ event: 'slow', id }));
    await client.waitForCount(SENT - 128, 10_000);
    expect(listeners.started).toBe(128);
    const refused = acks(client);
    expect(refused).toHaveLength(SENT - 128);
    expect(refused[0]).toEqual({
      ack: 129,
      error: { message: 'Too many events in flight', status: 429 },
    });
    expect(server.stats().inFlightDrops).toBe(SENT - 128);
    // One error event for the whole episode, with a documented code.
    expect(listeners.errors).toHaveLength(1);
    expect(listeners.errors[0]).toBeInstanceOf(KwsInFlightLimitError);
    expect((listeners.errors[0] as KwsInFlightLimitError).code).toBe('KWS_IN_FLIGHT_LIMIT');

    // Once the listeners settle, the 128 are answered and the connection is served again.
    listeners.release();
    await client.waitForCount(SENT);
    expect(
      acks(client)
        .slice(SENT - 128)
        .every((p) => p.data === 'done'),
    ).toBe(true);
    client.send(JSON.stringify({ event: 'slow', id: SENT + 1 }));
    await eventually(
      () => listeners.started,
      (n) => n === 129,
    );
    listeners.release();
    await client.waitForCount(SENT + 1);
    expect(JSON.parse(client.received[SENT].text)).toEqual({ ack: SENT + 1, data: 'done' });
  });

  it('counts channel packets and events against the same bound; a channel packet past it gets a 429 channel ack', async () => {
    const { client, listeners, server } = await start({ parser: 'json', maxInFlight: 8 });
    client.send(JSON.stringify({ channel: 'slow:a', event: 'kws:join', id: 1 }));
    await client.waitForCount(1);
    expect(JSON.parse(client.received[0].text)).toMatchObject({ channel: 'slow:a', ack: 1 });
    const before = client.received.length;
    // 5 connection-level events and 20 channel packets: 8 run, 17 are refused at once.
    for (let id = 2; id <= 6; id++) client.send(JSON.stringify({ event: 'slow', id }));
    for (let id = 7; id <= 26; id++)
      client.send(JSON.stringify({ channel: 'slow:a', event: 'work', id }));
    await client.waitForCount(before + 17);
    expect(listeners.started).toBe(8);
    expect(server.stats().inFlightDrops).toBe(17);
    const refused = acks(client).slice(-17);
    expect(refused.map((p) => p.ack)).toEqual(Array.from({ length: 17 }, (_, i) => 10 + i));
    expect(refused[0]).toEqual({
      channel: 'slow:a',
      ack: 10,
      error: { message: 'Too many events in flight', status: 429 },
    });
    expect(listeners.errors).toHaveLength(1);
    expect(listeners.errors[0]).toBeInstanceOf(KwsInFlightLimitError);
    // Once they settle, the 8 are answered and the channel is served again.
    listeners.release();
    await client.waitForCount(before + 25);
    client.send(JSON.stringify({ channel: 'slow:a', event: 'work', id: 27 }));
    await eventually(
      () => listeners.started,
      (n) => n === 9,
    );
    listeners.release();
    await client.waitForCount(before + 26);
    expect(JSON.parse(client.received.at(-1)!.text)).toEqual({
      channel: 'slow:a',
      ack: 27,
      data: 'worked',
    });
  });

  it('drops events without an id and raw messages past the bound, with one error event', async () => {
    const { client, listeners, server } = await start({ parser: 'json', maxInFlight: 8 });
    for (let i = 0; i < 500; i++) client.send(JSON.stringify({ event: 'slow' }));
    for (let i = 0; i < 500; i++) client.send(`raw ${i}`);
    await eventually(
      () => server.stats().messages.in,
      (n) => n === 1_000,
    );
    expect(listeners.started).toBe(8);
    expect(server.stats().inFlightDrops).toBe(992);
    expect(listeners.errors).toHaveLength(1);
    expect(listeners.errors[0]).toBeInstanceOf(KwsInFlightLimitError);
    expect(client.received).toHaveLength(0);
    // A second episode is reported again.
    listeners.release();
    await eventually(
      () => listeners.started,
      (n) => n === 8,
    );
    for (let i = 0; i < 20; i++) client.send(`raw again ${i}`);
    await eventually(
      () => listeners.errors.length,
      (n) => n === 2,
    );
    expect(listeners.started).toBe(16);
    listeners.release();
  });

  it('bounds raw message listeners without a parser', async () => {
    const { client, listeners, server } = await start({ maxInFlight: 16 });
    for (let i = 0; i < 20_000; i++) client.send(`raw ${i}`);
    await eventually(
      () => server.stats().messages.in,
      (n) => n === 20_000,
      10_000,
    );
    expect(listeners.started).toBe(16);
    expect(server.stats().inFlightDrops).toBe(20_000 - 16);
    listeners.release();
  });

  it('Infinity turns the bound off; a bad value fails at bootstrap naming the option', async () => {
    const { client, listeners } = await start({ maxInFlight: Infinity });
    for (let i = 0; i < 300; i++) client.send(`raw ${i}`);
    await eventually(
      () => listeners.started,
      (n) => n === 300,
    );
    listeners.release();
    await expect(startApp(appWith({ maxInFlight: 0 }))).rejects.toThrow(
      /"maxInFlight" must be an integer > 0, or Infinity, got 0/,
    );
  });
});
