import { Logger, UnauthorizedException } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import { KwsDisconnectError, KwsEvent, type KwsModuleOptions } from '../../src/index.js';
import { EventLog } from '../apps/event-log.js';
import { echoApp } from '../apps/echo.app.js';
import { startApp } from '../helpers/start-app.js';
import { useRunningApp } from '../helpers/app-session.js';
import { connect, eventually, type TestClient } from '../helpers/ws-client.js';

describe('bad input', () => {
  const session = useRunningApp({ restoreMocks: true });
  const { clients } = session;

  async function start(options: KwsModuleOptions = {}): Promise<EventLog> {
    session.running = await startApp(echoApp({ path: '/ws', ...options }));
    return session.running.app.get(EventLog);
  }

  async function open(path = '/ws', headers?: Record<string, string>): Promise<TestClient> {
    const client = await connect(session.running!.wsUrl(path), { headers });
    clients.push(client);
    return client;
  }

  async function connectedKws(log: EventLog, index: number) {
    const events = await eventually(
      () => log.named(KwsEvent.Connect),
      (e) => e.length > index,
    );
    return events[index].kws;
  }

  it('a frame over maxPayload closes that connection with 1009; others keep being served', async () => {
    const log = await start({ maxPayload: 1024 });
    const big = await open();
    const bystander = await open();
    const kws = await connectedKws(log, 0);
    big.send('x'.repeat(2048));
    expect((await big.closed).code).toBe(1009);
    const [event] = await eventually(
      () => log.of(kws.uuid, KwsEvent.Disconnect),
      (e) => e.length === 1,
    );
    expect(event.error).toBeInstanceOf(KwsDisconnectError);
    expect(event.error).toMatchObject({ code: 1009, kind: 'protocol' });
    expect(log.of(kws.uuid, KwsEvent.Error)).toHaveLength(1);
    expect(log.of(kws.uuid, KwsEvent.Message)).toHaveLength(0);
    bystander.send('still there?');
    expect((await bystander.next()).text).toBe('echo:still there?');
  });

  it('a text frame with invalid UTF-8 closes with 1007', async () => {
    const log = await start();
    const client = await open();
    const kws = await connectedKws(log, 0);
    client.socket.send(Buffer.from([0x68, 0xff, 0xfe]), { binary: false });
    expect((await client.closed).code).toBe(1007);
    const [event] = await eventually(
      () => log.of(kws.uuid, KwsEvent.Disconnect),
      (e) => e.length === 1,
    );
    expect(event.error).toMatchObject({ code: 1007, kind: 'protocol' });
  });

  it('allowUpgrade: false answers 403, an HttpException its status, a crash 500; nothing is upgraded', async () => {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const log = await start({
      allowUpgrade: async (request) => {
        const token = new URL(request.url!, 'http://x').searchParams.get('token');
        if (token === 'none') throw new UnauthorizedException('token required');
        if (token === 'crash') throw new Error('bug in the gate');
        if (token !== 'good') return false;
        return { user: 'alice' };
      },
    });
    await expect(open('/ws?token=bad')).rejects.toMatchObject({ status: 403 });
    await expect(open('/ws?token=none')).rejects.toMatchObject({ status: 401 });
    await expect(open('/ws?token=crash')).rejects.toMatchObject({ status: 500 });
    await open('/ws?token=good');
    const [connected] = await eventually(
      () => log.named(KwsEvent.Connect),
      (e) => e.length === 1,
    );
    expect(connected.socketAttributes).toEqual({ user: 'alice' });
    expect(log.named(KwsEvent.Connect)).toHaveLength(1);
  });

  it('origins: an origin outside the allow-list gets 403', async () => {
    await start({ origins: ['http://chat.example'] });
    await expect(open('/ws', { origin: 'http://evil.example' })).rejects.toMatchObject({
      status: 403,
    });
    await expect(open('/ws')).rejects.toMatchObject({ status: 403 });
    await open('/ws', { origin: 'http://chat.example' });
  });

  it('a plain HTTP request to the endpoint gets 426 Upgrade Required', async () => {
    await start();
    const response = await fetch(session.running!.httpUrl('/ws'));
    expect(response.status).toBe(426);
    expect(response.headers.get('upgrade')).toBe('websocket');
  });

  it('leaves upgrades for other paths to their own listeners (never destroys them)', async () => {
    await start();
    const other = new WebSocketServer({ noServer: true });
    const httpServer: import('node:http').Server = session.running!.app.getHttpServer();
    httpServer.on('upgrade', (request, socket, head) => {
      if (request.url === '/other') {
        other.handleUpgrade(request, socket, head, (ws) => ws.send('from the other server'));
      }
    });
    const client = await open('/other');
    expect((await client.next()).text).toBe('from the other server');
    other.close();
  });

  it('does not match paths that only share a prefix, and decodes params', async () => {
    session.running = await startApp(echoApp({ path: '/ws/:id' }));
    const log = session.running.app.get(EventLog);
    await expect(connect(session.running.wsUrl('/ws/a/b'))).rejects.toMatchObject({ status: 404 });
    await expect(connect(session.running.wsUrl('/wsx/a'))).rejects.toMatchObject({ status: 404 });
    await open('/ws/hello%20world');
    const [connected] = await eventually(
      () => log.named(KwsEvent.Connect),
      (e) => e.length === 1,
    );
    expect(connected.kws.params('id')).toBe('hello world');
  });
});

describe('invalid options', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    [{ path: 'ws' }, 'KwsModule option "path" must be a string starting with \'/\', got "ws".'],
    [{ maxPayload: -1 }, 'KwsModule option "maxPayload" must be a number of bytes > 0, got -1.'],
    [
      { pingInterval: Number.NaN },
      'KwsModule option "pingInterval" must be a number of milliseconds >= 0, got NaN.',
    ],
    [{ slowConsumer: 'block' }, "KwsModule option \"slowConsumer\" must be 'close' or 'drop'"],
    [{ port: 70_000 }, 'KwsModule option "port" must be an integer from 0 to 65535'],
  ])('%j fails at bootstrap with a clear message', async (options, message) => {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    await expect(startApp(echoApp(options as KwsModuleOptions))).rejects.toThrow(message);
  });
});
