import { ForbiddenException, Injectable, Logger, Module, type DynamicModule } from '@nestjs/common';
import { describe, expect, it, vi } from 'vitest';
import type { ClientOptions } from 'ws';
import {
  KwsEvent,
  KwsModule,
  KwsServer,
  OnKwsEvent,
  type KwsEventPayload,
  type KwsModuleOptions,
} from '../../src/index.js';
import { echoApp } from '../apps/echo.app.js';
import { startApp } from '../helpers/start-app.js';
import { useRunningApp } from '../helpers/app-session.js';
import { connect, eventually, type TestClient } from '../helpers/ws-client.js';

/** Echoes text; "boom" makes the listener throw, "no" makes it refuse with a Nest exception. */
@Injectable()
class TouchyListeners {
  @OnKwsEvent(KwsEvent.Message)
  onMessage({ kws, data }: KwsEventPayload): void {
    const text = String(data);
    if (text === 'boom') throw new Error('listener bug');
    if (text === 'no') throw new ForbiddenException();
    kws.emit(`echo:${text}`);
  }
}

function touchyApp(options: KwsModuleOptions): DynamicModule {
  @Module({})
  class TouchyModule {}
  return {
    module: TouchyModule,
    imports: [KwsModule.forRoot(options)],
    providers: [TouchyListeners],
  };
}

describe('KwsServer.stats()', () => {
  const session = useRunningApp({ restoreMocks: true });
  const { clients } = session;

  async function start(module: DynamicModule): Promise<KwsServer> {
    session.running = await startApp(module);
    return session.running.app.get(KwsServer);
  }

  async function open(path = '/ws', options?: ClientOptions): Promise<TestClient> {
    const client = await connect(session.running!.wsUrl(path), options);
    clients.push(client);
    return client;
  }

  it('counts upgrades (refused by status), messages and payload bytes both ways, and open connections', async () => {
    const server = await start(
      echoApp({ path: '/ws', allowUpgrade: (request) => !request.url!.includes('deny') }),
    );
    expect(server.stats()).toMatchObject({ listening: true, connections: 0 });
    const alice = await open();
    const bob = await open();
    await expect(open('/ws?deny=1')).rejects.toMatchObject({ status: 403 });
    for (const text of ['a', 'bb', 'ccc']) alice.send(text);
    await alice.waitForCount(3);
    await eventually(
      () => server.localCount,
      (n) => n === 2,
    );
    await server.broadcast('all!');
    await bob.waitForCount(1);

    const stats = server.stats();
    expect(stats.upgrades).toEqual({ accepted: 2, refused: { 403: 1 } });
    expect(stats.messages).toEqual({ in: 3, out: 3 + 2 });
    // In: "a" + "bb" + "ccc"; out: "echo:a" + "echo:bb" + "echo:ccc" + "all!" twice.
    expect(stats.bytes).toEqual({ in: 6, out: 6 + 7 + 8 + 4 * 2 });
    expect(stats.connections).toBe(2);
    expect(stats.cluster).toBeUndefined();

    await bob.close();
    await eventually(
      () => server.stats().connections,
      (n) => n === 1,
    );
    // A snapshot is a copy: later traffic does not change it.
    expect(stats.connections).toBe(2);
    await session.running!.app.close();
    session.running = undefined;
    expect(server.stats()).toMatchObject({ listening: false, connections: 0 });
  });

  it('counts listeners that fail, but not a Nest exception (an answer, such as a refusal)', async () => {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const server = await start(touchyApp({ path: '/ws' }));
    const client = await open();
    client.send('boom');
    client.send('no');
    client.send('ok');
    expect((await client.next()).text).toBe('echo:ok');
    expect(server.stats().listenerErrors).toBe(1);
  });

  it('counts a heartbeat timeout once per silent peer', async () => {
    const server = await start(echoApp({ path: '/ws', pingInterval: 30, pongTimeout: 60 }));
    const silent = await open('/ws', { autoPong: false });
    const healthy = await open();
    expect((await silent.closed).code).toBe(1006);
    // Three more ping rounds (several sweeps each): the terminated peer is not counted again.
    let pings = 0;
    healthy.socket.on('ping', () => pings++);
    await eventually(
      () => pings,
      (n) => n >= 3,
    );
    expect(server.stats()).toMatchObject({ heartbeatTimeouts: 1, connections: 1 });
  });

  it.each(['drop', 'close'] as const)(
    'counts slow-consumer %s as the policy acts (one drop per discarded message, one kill per peer)',
    async (policy) => {
      const server = await start(
        echoApp({ path: '/ws', sendBufferLimit: 64 * 1024, slowConsumer: policy }),
      );
      const client = await open();
      const kws = await eventually(
        () => Array.from(server.connections())[0],
        (k) => k !== undefined,
      );
      client.socket.pause();
      const chunk = Buffer.alloc(16 * 1024, 1);
      let refused = 0;
      for (let i = 0; i < 2_000 && refused < 5; i++) {
        // emit() is also false past highWaterMark (queued, not refused): count what was neither
        // queued nor written (bytesWritten counts both, bufferedAmount what ws holds besides).
        const before = kws.bufferedAmount + kws.upgrade.socket.bytesWritten;
        kws.emit(chunk);
        if (kws.bufferedAmount + kws.upgrade.socket.bytesWritten === before) refused++;
        if (i % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      const { slowConsumer } = server.stats();
      if (policy === 'drop') expect(slowConsumer).toEqual({ drops: 5, kills: 0 });
      else expect(slowConsumer).toEqual({ drops: 0, kills: 1 });
    },
  );

  it('metrics: false turns counting off; the gauges still report', async () => {
    const server = await start(echoApp({ path: '/ws', metrics: false }));
    const client = await open();
    client.send('hi');
    expect((await client.next()).text).toBe('echo:hi');
    expect(server.stats()).toMatchObject({
      listening: true,
      connections: 1,
      upgrades: { accepted: 0, refused: {} },
      messages: { in: 0, out: 0 },
    });
  });

  it.each([
    [
      { metrics: 'yes' },
      'KwsModule option "metrics" must be a boolean or { prometheus }, got "yes".',
    ],
    [
      { metrics: { prometheus: { prefix: 'kws-' } } },
      'KwsModule option "metrics.prometheus.prefix" must be a Prometheus name prefix like "kws_", got "kws-".',
    ],
    [
      { metrics: { prometheus: { buckets: [] } } },
      'KwsModule option "metrics.prometheus.buckets" must be a non-empty array of seconds > 0, got [].',
    ],
  ])('refuses an invalid metrics option at bootstrap: %j', async (options, message) => {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    await expect(
      startApp(echoApp({ path: '/ws', ...(options as KwsModuleOptions) })),
    ).rejects.toThrow(message);
  });
});
