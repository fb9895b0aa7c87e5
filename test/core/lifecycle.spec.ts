import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ClientOptions } from 'ws';
import {
  KwsDisconnectError,
  KwsEvent,
  KwsInvalidConnectionError,
  KwsServer,
  type KwsModuleOptions,
} from '../../src/index.js';
import { EventLog } from '../apps/event-log.js';
import { echoApp } from '../apps/echo.app.js';
import { FaultyListeners, faultyApp } from '../apps/faulty.app.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { useRunningApp } from '../helpers/app-session.js';
import { connect, connectMany, eventually, type TestClient } from '../helpers/ws-client.js';

describe('connection lifecycle', () => {
  const session = useRunningApp({ restoreMocks: true });
  const { clients } = session;

  async function start(
    options: KwsModuleOptions = {},
  ): Promise<{ log: EventLog; server: KwsServer }> {
    session.running = await startApp(echoApp({ path: '/ws', ...options }));
    return { log: session.running.app.get(EventLog), server: session.running.app.get(KwsServer) };
  }

  async function open(options?: ClientOptions): Promise<TestClient> {
    const client = await connect(session.running!.wsUrl('/ws'), options);
    clients.push(client);
    return client;
  }

  async function openAndWait(log: EventLog, options?: ClientOptions) {
    const before = log.named(KwsEvent.Connect).length;
    const client = await open(options);
    const connected = await eventually(
      () => log.named(KwsEvent.Connect),
      (e) => e.length > before,
    );
    return { client, kws: connected[before].kws };
  }

  it('close() fires close once, sends 1000 "Connection closed", then disconnect once with no error', async () => {
    const { log } = await start();
    const { client, kws } = await openAndWait(log);
    kws.close();
    kws.close();
    expect(await client.closed).toEqual({ code: 1000, reason: 'Connection closed' });
    await eventually(
      () => log.of(kws.uuid, KwsEvent.Disconnect),
      (e) => e.length === 1,
    );
    expect(log.of(kws.uuid, KwsEvent.Close)).toHaveLength(1);
    expect(log.of(kws.uuid, KwsEvent.Disconnect)[0].error).toBeNull();
    kws.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log.of(kws.uuid, KwsEvent.Close)).toHaveLength(1);
    expect(log.of(kws.uuid, KwsEvent.Disconnect)).toHaveLength(1);
  });

  it('close(code, reason) sends them, the reason cut to 123 bytes on a character boundary', async () => {
    const { log, server } = await start();
    const { client, kws } = await openAndWait(log);
    await server.close(kws.uuid, 4000, 'é'.repeat(100));
    const { code, reason } = await client.closed;
    expect(code).toBe(4000);
    expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(123);
    expect(reason).toBe('é'.repeat(61));
  });

  it('KwsServer.close rejects an unknown uuid; closeAll closes every connection once', async () => {
    const { log, server } = await start();
    const first = await openAndWait(log);
    const second = await openAndWait(log);
    await expect(server.close('nobody')).rejects.toBeInstanceOf(KwsInvalidConnectionError);
    await server.closeAll(4100, 'maintenance');
    expect(await first.client.closed).toEqual({ code: 4100, reason: 'maintenance' });
    expect(await second.client.closed).toEqual({ code: 4100, reason: 'maintenance' });
    await eventually(
      () => log.named(KwsEvent.Disconnect),
      (e) => e.length === 2,
    );
    expect(
      log
        .named(KwsEvent.Close)
        .map((e) => e.socketUUID)
        .sort(),
    ).toEqual([first.kws.uuid, second.kws.uuid].sort());
    expect(await server.count()).toBe(0);
  });

  it('a client close fires disconnect once; error is null for 1000/1001 and set otherwise', async () => {
    const { log } = await start();
    const normal = await openAndWait(log);
    const away = await openAndWait(log);
    const custom = await openAndWait(log);
    await normal.client.close(1000);
    await away.client.close(1001);
    await custom.client.close(4001, 'bye');
    const uuids = [normal, away, custom].map((c) => c.kws.uuid);
    await eventually(
      () => log.named(KwsEvent.Disconnect),
      (e) => e.length === 3,
    );
    expect(log.of(uuids[0], KwsEvent.Disconnect)[0].error).toBeNull();
    expect(log.of(uuids[1], KwsEvent.Disconnect)[0].error).toBeNull();
    const error = log.of(uuids[2], KwsEvent.Disconnect)[0].error as KwsDisconnectError;
    expect(error).toBeInstanceOf(KwsDisconnectError);
    expect(error).toMatchObject({ code: 4001, reason: 'bye', kind: 'peer' });
    expect(log.named(KwsEvent.Close)).toHaveLength(0);
  });

  it('a network drop fires disconnect once with a network error', async () => {
    const { log, server } = await start();
    const { client, kws } = await openAndWait(log);
    client.socket.terminate();
    const [event] = await eventually(
      () => log.of(kws.uuid, KwsEvent.Disconnect),
      (e) => e.length === 1,
    );
    expect(event.error).toMatchObject({ code: 1006, kind: 'network' });
    expect(server.get(kws.uuid)).toBeUndefined();
  });

  it('pings on pingInterval: pong fires when the client answers, ping when the client pings', async () => {
    const { log } = await start({ pingInterval: 40, pongTimeout: 1_000 });
    const { client, kws } = await openAndWait(log);
    let pingsSeen = 0;
    client.socket.on('ping', () => pingsSeen++);
    // Pongs counted from now: the first may answer a ping that came before the listener did.
    const pongsBefore = log.of(kws.uuid, KwsEvent.Pong).length;
    await eventually(
      () => log.of(kws.uuid, KwsEvent.Pong),
      (e) => e.length >= pongsBefore + 3,
    );
    expect(pingsSeen).toBeGreaterThanOrEqual(2);
    client.socket.ping(Buffer.from('hi'));
    const [ping] = await eventually(
      () => log.of(kws.uuid, KwsEvent.Ping),
      (e) => e.length === 1,
    );
    expect(ping.data.toString()).toBe('hi');
    expect(kws.isAlive()).toBe(true);
  });

  it('terminates a peer silent past pongTimeout, with a timeout disconnect', async () => {
    const { log, server } = await start({ pingInterval: 30, pongTimeout: 60 });
    const silent = await openAndWait(log, { autoPong: false });
    const healthy = await openAndWait(log);
    const [event] = await eventually(
      () => log.of(silent.kws.uuid, KwsEvent.Disconnect),
      (e) => e.length === 1,
    );
    expect(event.error).toBeInstanceOf(KwsDisconnectError);
    expect(event.error).toMatchObject({ kind: 'timeout' });
    expect((await silent.client.closed).code).toBe(1006);
    expect(server.get(healthy.kws.uuid)?.isAlive()).toBe(true);
  });

  it('app.close() sends 1001 to 1,000 clients, fires each disconnect once, detaches and returns promptly', async () => {
    const { log } = await start();
    const app = session.running!;
    const many = await connectMany(() => app.wsUrl('/ws'), 1_000);
    clients.push(...many);
    await eventually(
      () => log.named(KwsEvent.Connect),
      (e) => e.length === 1_000,
      15_000,
    );
    const httpServer = app.app.getHttpServer();
    const upgradeListeners = httpServer.listeners('upgrade').length;

    const started = performance.now();
    await app.app.close();
    const elapsed = performance.now() - started;
    session.running = undefined;

    const closes = await Promise.all(many.map((client) => client.closed));
    expect(closes.every((c) => c.code === 1001 && c.reason === 'Server shutting down')).toBe(true);
    const disconnects = log.named(KwsEvent.Disconnect);
    expect(disconnects).toHaveLength(1_000);
    expect(new Set(disconnects.map((e) => e.socketUUID)).size).toBe(1_000);
    expect(disconnects.every((e) => e.error === null)).toBe(true);
    expect(httpServer.listeners('upgrade').length).toBe(upgradeListeners - 1);
    // Not a speed figure: proves shutdown does not wait out ws's 30 s close timeout.
    expect(elapsed).toBeLessThan(5_000);
  });
});

describe('a listener that fails', () => {
  let running: RunningApp | undefined;

  afterEach(async () => {
    await running?.app.close();
    vi.restoreAllMocks();
  });

  it('is logged, reported as an error event, and neither stops the others nor closes the socket', async () => {
    const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    running = await startApp(faultyApp());
    const log = running.app.get(EventLog);
    const client = await connect(running.wsUrl('/ws'));
    client.send('throw');
    expect((await client.next()).text).toBe('still here after throw');
    client.send('reject');
    expect((await client.next()).text).toBe('still here after reject');
    const errors = await eventually(
      () => log.named(KwsEvent.Error),
      (e) => e.length === 2,
    );
    expect(errors.map((e) => e.error?.message)).toEqual(['listener threw', 'listener rejected']);
    expect(errors[0].data.toString()).toBe('throw');
    expect(logged).toHaveBeenCalledTimes(2);
    expect(client.socket.readyState).toBe(client.socket.OPEN);
    client.socket.terminate();
  });

  it('does not loop when the error listener itself throws', async () => {
    const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    running = await startApp(faultyApp());
    running.app.get(FaultyListeners).errorListenerThrows = true;
    const log = running.app.get(EventLog);
    const client = await connect(running.wsUrl('/ws'));
    client.send('throw');
    expect((await client.next()).text).toBe('still here after throw');
    await eventually(
      () => logged.mock.calls.length,
      (n) => n >= 2,
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(log.named(KwsEvent.Error)).toHaveLength(1);
    expect(logged).toHaveBeenCalledTimes(2);
    client.send('ok');
    expect((await client.next()).text).toBe('still here after ok');
    client.socket.terminate();
  });
});
