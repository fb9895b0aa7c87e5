import { Injectable, Logger, Module, UseGuards, type CanActivate } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  KwsEvent,
  KwsModule,
  KwsServer,
  KwsState,
  OnKwsEvent,
  type KwsEventPayload,
} from '../../src/index.js';
import { startApp, type Platform, type RunningApp } from '../helpers/start-app.js';
import { rawExchange, upgradeRequest } from '../helpers/raw-http.js';
import { connect, eventually, type TestClient } from '../helpers/ws-client.js';

/** What reached the app's listeners, per kind, across the whole spec file. */
const seen = { chat: 0, raw: 0, connect: 0, disconnect: 0, ping: 0 };
/** The state a connection was in when its connect listener ran after connectTimeout. */
const lateStates: KwsState[] = [];
/** How long the slow guard takes (set per test). */
let guardDelay = 0;

/** Refuses any connection whose query has `deny`, after `guardDelay` ms when it is above 0. */
@Injectable()
class DenyGuard implements CanActivate {
  canActivate(context: import('@nestjs/common').ExecutionContext): boolean | Promise<boolean> {
    const kws = context.switchToWs().getClient<{ query(key: string): string }>();
    const allowed = kws.query('deny') === '';
    if (guardDelay === 0) return allowed;
    return new Promise((resolve) => setTimeout(() => resolve(allowed), guardDelay));
  }
}

@Injectable()
class Listeners {
  @UseGuards(DenyGuard)
  @OnKwsEvent(KwsEvent.Connect)
  connected({ kws }: KwsEventPayload): void {
    seen.connect++;
    if (guardDelay >= 1_000) lateStates.push(kws.state);
    if (kws.query('throw') !== '') throw new Error('database down');
    if (kws.query('close') !== '') kws.close(4001, 'not today');
  }

  @OnKwsEvent(KwsEvent.Disconnect)
  gone(): void {
    seen.disconnect++;
  }

  @OnKwsEvent(KwsEvent.Message)
  raw(): void {
    seen.raw++;
  }

  @OnKwsEvent(KwsEvent.Ping)
  pinged(): void {
    seen.ping++;
  }

  @OnKwsEvent('chat')
  chat(): string {
    seen.chat++;
    return 'ok';
  }
}

@Module({
  imports: [KwsModule.forRoot({ path: '/ws', parser: 'json', connectTimeout: 300 })],
  providers: [DenyGuard, Listeners],
})
class LifecycleModule {}

/** A client's text frame (masked, as RFC 6455 requires of clients), under 126 bytes. */
function maskedText(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = payload.map((byte, i) => byte ^ mask[i % 4]);
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

/** Opens a socket and, in the same turn as `open`, pipelines frames of every kind. */
async function pipelined(url: string, frames: number): Promise<TestClient> {
  const client = await connect(url);
  for (let i = 0; i < frames; i++) {
    client.send(JSON.stringify({ event: 'chat', data: i }));
    client.send(JSON.stringify({ event: 'chat', data: i, id: i + 1 }));
    client.send(`raw ${i}`);
    client.socket.ping();
  }
  return client;
}

/** The server's connection count once it reached `want` (or after 5 s). */
async function connections(server: KwsServer, want: number): Promise<number> {
  const deadline = Date.now() + 5_000;
  let count = await server.count();
  while (count !== want && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    count = await server.count();
  }
  return count;
}

function reset(): void {
  seen.chat = seen.raw = seen.connect = seen.disconnect = seen.ping = 0;
  guardDelay = 0;
  lateStates.length = 0;
}

describe.each<Platform>(['express', 'fastify'])('a refused connection (%s)', (platform) => {
  let running: RunningApp;
  let server: KwsServer;
  beforeAll(async () => {
    running = await startApp(LifecycleModule, platform);
    server = running.app.get(KwsServer);
  });
  afterAll(() => running.app.close());
  afterEach(reset);

  it('runs none of the frames pipelined right after open when a guard refuses at once', async () => {
    const clients = await Promise.all(
      Array.from({ length: 10 }, () => pipelined(running.wsUrl('/ws?deny=1'), 60)),
    );
    const closes = await Promise.all(clients.map((client) => client.closed));
    expect(closes.every(({ code }) => code === 1008)).toBe(true);
    expect(closes[0].reason).toBe('Forbidden resource');
    expect(seen).toMatchObject({ chat: 0, raw: 0, ping: 0, connect: 0, disconnect: 0 });
    // Nothing was answered either: no ack for the 600 events with an id.
    expect(clients.every((client) => client.received.length === 0)).toBe(true);
    expect(await connections(server, 0)).toBe(0);
  });

  it('runs none of them when the guard refuses later (an async guard)', async () => {
    guardDelay = 50;
    const clients = await Promise.all(
      Array.from({ length: 4 }, () => pipelined(running.wsUrl('/ws?deny=1'), 60)),
    );
    const closes = await Promise.all(clients.map((client) => client.closed));
    expect(closes.every(({ code }) => code === 1008)).toBe(true);
    expect(seen).toMatchObject({ chat: 0, raw: 0, ping: 0, disconnect: 0 });
  });

  it('a raw TCP peer that sends its frames in the same packet as the handshake runs none of them when refused', async () => {
    for (const delay of [0, 50]) {
      guardDelay = delay;
      const sent = Array.from({ length: 40 }, (_, i) =>
        maskedText(i % 2 ? JSON.stringify({ event: 'chat', data: i, id: i + 1 }) : `raw ${i}`),
      );
      // Before the 101 comes back: `ws` would never send this way, an attacker may.
      const exchange = await rawExchange(
        running.port,
        upgradeRequest('/ws?deny=1') + Buffer.concat(sent).toString('latin1'),
      );
      const answer = await exchange.ended;
      expect(answer).toMatch(/^HTTP\/1\.1 101/);
      // Then only the close frame of the refusal (its reason is the guard's), nothing else.
      const frames = answer.slice(answer.indexOf('\r\n\r\n') + 4);
      expect(frames).toContain('Forbidden resource');
      expect(frames).not.toContain('"ack"');
    }
    expect(seen).toMatchObject({ chat: 0, raw: 0, connect: 0, disconnect: 0 });
    // A peer that never answers the close frame does not keep its refused connection.
    expect(await connections(server, 0)).toBe(0);
  });

  it('an accepted connection runs what it pipelined, in order, after connect', async () => {
    guardDelay = 50;
    const client = await pipelined(running.wsUrl('/ws'), 20);
    expect(
      await eventually(
        () => seen.chat,
        (n) => n === 40,
      ),
    ).toBe(40);
    expect(seen).toMatchObject({ raw: 20, ping: 20, connect: 1 });
    await client.close();
    expect(
      await eventually(
        () => seen.disconnect,
        (n) => n === 1,
      ),
    ).toBe(1);
  });

  it('fails closed when the guard does not decide within connectTimeout', async () => {
    guardDelay = 1_000; // allows, but too late
    const warned = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const clients = await Promise.all(
        Array.from({ length: 5 }, () => pipelined(running.wsUrl('/ws'), 20)),
      );
      const closes = await Promise.all(clients.map((client) => client.closed));
      expect(closes.map(({ code }) => code)).toEqual([1013, 1013, 1013, 1013, 1013]);
      expect(closes[0].reason).toBe('Connect timed out');
      expect(seen).toMatchObject({ chat: 0, raw: 0, ping: 0 });
      const lines = warned.mock.calls.map(([text]) => String(text));
      expect(
        lines.filter((text) => /did not decide within connectTimeout/.test(text)),
      ).toHaveLength(5);
      // The guard's late "yes" lets its listener finish (nothing can cancel it), on a connection
      // that is refused: no frame of it ran, and no disconnect follows.
      expect(
        await eventually(
          () => seen.connect,
          (n) => n === 5,
        ),
      ).toBe(5);
      expect(
        lateStates.every((state) => state === KwsState.Refused || state === KwsState.Ended),
      ).toBe(true);
      expect(seen).toMatchObject({ chat: 0, raw: 0, ping: 0, disconnect: 0 });
    } finally {
      warned.mockRestore();
    }
  });

  it('a connect listener that throws refuses with 1011, and no disconnect follows', async () => {
    const errors = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const client = await pipelined(running.wsUrl('/ws?throw=1'), 10);
      expect(await client.closed).toEqual({ code: 1011, reason: 'Internal server error' });
      expect(seen).toMatchObject({ chat: 0, raw: 0, connect: 1, disconnect: 0 });
    } finally {
      errors.mockRestore();
    }
  });

  it('kws.close() inside connect refuses: its code, no frame runs, no disconnect', async () => {
    const client = await pipelined(running.wsUrl('/ws?close=1'), 10);
    expect(await client.closed).toEqual({ code: 4001, reason: 'not today' });
    expect(seen).toMatchObject({ chat: 0, raw: 0, connect: 1, disconnect: 0 });
  });

  it('a connection a guard is still judging gets no broadcast', async () => {
    guardDelay = 200;
    const judged = await connect(running.wsUrl('/ws?deny=1'));
    const member = await connect(running.wsUrl('/ws')); // accepted after 200 ms
    expect(
      await eventually(
        () => seen.connect,
        (n) => n === 1,
      ),
    ).toBe(1);
    await server.broadcast('for members only');
    expect((await member.next()).text).toBe('for members only');
    expect((await judged.closed).code).toBe(1008);
    expect(judged.received).toHaveLength(0);
    await member.close();
  });

  it('a client that leaves while connect runs gets its disconnect once connect completed', async () => {
    guardDelay = 150;
    const client = await connect(running.wsUrl('/ws'));
    client.socket.terminate();
    expect(
      await eventually(
        () => seen.disconnect,
        (n) => n === 1,
      ),
    ).toBe(1);
    expect(seen.connect).toBe(1);
    // …and one refused while leaving gets neither.
    const refused = await connect(running.wsUrl('/ws?deny=1'));
    refused.socket.terminate();
    expect(await connections(server, 0)).toBe(0);
    expect(seen).toMatchObject({ connect: 1, disconnect: 1 });
  });
});
