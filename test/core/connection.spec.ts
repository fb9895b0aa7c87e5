import { beforeEach, describe, expect, it } from 'vitest';
import { KwsServer, KwsUUIDDuplicationError, KwsEvent } from '../../src/index.js';
import { EventLog } from '../apps/event-log.js';
import { echoApp } from '../apps/echo.app.js';
import { connect, eventually, type TestClient } from '../helpers/ws-client.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { useRunningApp } from '../helpers/app-session.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('a connection', () => {
  const session = useRunningApp();
  const { clients } = session;
  let running: RunningApp;
  let log: EventLog;
  let server: KwsServer;

  beforeEach(async () => {
    running = session.running = await startApp(
      echoApp({
        path: '/ws/:id',
        allowUpgrade: (request) => ({ role: 'admin', via: request.headers['x-via'] ?? 'none' }),
      }),
    );
    log = running.app.get(EventLog);
    server = running.app.get(KwsServer);
  });

  async function open(path: string, headers?: Record<string, string>): Promise<TestClient> {
    const client = await connect(running.wsUrl(path), { headers });
    clients.push(client);
    return client;
  }

  it('gets a random v4 uuid and fires connect with params, query, headers, cookies and attributes in place', async () => {
    await open('/ws/alice?room=blue&x=%20y', {
      cookie: 'session=abc%3D; theme=dark',
      'x-via': 'proxy',
    });
    const [connected] = await eventually(
      () => log.named(KwsEvent.Connect),
      (events) => events.length === 1,
    );
    const { kws } = connected;
    expect(kws.uuid).toMatch(UUID_V4);
    expect(connected.socketUUID).toBe(kws.getUUID());
    expect(server.get(kws.uuid)).toBe(kws);
    expect(kws.params('id')).toBe('alice');
    expect(kws.params('missing', 'fallback')).toBe('fallback');
    expect(kws.query('room')).toBe('blue');
    expect(kws.query('x')).toBe(' y');
    expect(kws.query('nope', 'd')).toBe('d');
    expect(kws.header('X-Via')).toBe('proxy');
    expect(kws.cookies('session')).toBe('abc=');
    expect(kws.cookies('theme')).toBe('dark');
    expect(kws.cookies('none', 'x')).toBe('x');
    expect(kws.ip).toBe('127.0.0.1');
    expect(connected.socketAttributes).toEqual({ role: 'admin', via: 'proxy' });
    expect(kws.isAlive()).toBe(true);
  });

  it('keeps every header but the handshake ones, and the ip read while open for disconnect listeners', async () => {
    const client = await open('/ws/bob', { 'user-agent': 'test-agent', 'x-multi': 'a' });
    const [connected] = await eventually(
      () => log.named(KwsEvent.Connect),
      (events) => events.length === 1,
    );
    const { kws } = connected;
    expect(kws.header('User-Agent')).toBe('test-agent');
    expect(kws.header('host')).toBe(`127.0.0.1:${running.port}`);
    for (const name of ['connection', 'upgrade', 'sec-websocket-key', 'sec-websocket-version']) {
      expect(kws.header(name, 'gone')).toBe('gone');
    }
    expect(kws.ip).toBe('127.0.0.1');
    client.socket.terminate();
    await eventually(
      () => log.of(kws.uuid, KwsEvent.Disconnect),
      (events) => events.length === 1,
    );
    expect(kws.ip).toBe('127.0.0.1');
  });

  it('ignores X-Forwarded-For for ip unless trustProxy is set', async () => {
    await open('/ws/a', { 'x-forwarded-for': '203.0.113.7, 10.0.0.1' });
    const [connected] = await eventually(
      () => log.named(KwsEvent.Connect),
      (events) => events.length === 1,
    );
    expect(connected.kws.ip).toBe('127.0.0.1');

    const proxied = await startApp(echoApp({ path: '/ws', trustProxy: true }));
    try {
      const client = await connect(proxied.wsUrl('/ws'), {
        headers: { 'x-forwarded-for': '203.0.113.7, 10.0.0.1' },
      });
      const [behindProxy] = await eventually(
        () => proxied.app.get(EventLog).named(KwsEvent.Connect),
        (events) => events.length === 1,
      );
      expect(behindProxy.kws.ip).toBe('203.0.113.7');
      client.socket.terminate();
    } finally {
      await proxied.app.close();
    }
  });

  it('gives every connection its own uuid', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => open(`/ws/u${i}`)));
    const connected = await eventually(
      () => log.named(KwsEvent.Connect),
      (events) => events.length === 20,
    );
    expect(new Set(connected.map((e) => e.socketUUID)).size).toBe(20);
    expect(server.localCount).toBe(20);
    expect(await server.count()).toBe(20);
  });

  it('typed attribute getters never throw on a missing or mistyped attribute', async () => {
    await open('/ws/a');
    const [{ kws }] = await eventually(
      () => log.named(KwsEvent.Connect),
      (e) => e.length === 1,
    );
    kws.setAttribute('name', 'alice');
    kws.setAttribute('age', 42);
    kws.setAttribute('ratio', 0.5);
    kws.setAttribute('obj', { a: 1 });
    expect(kws.getStringAttribute('name')).toBe('alice');
    expect(kws.getStringAttribute('age')).toBe('');
    expect(kws.getStringAttribute('missing')).toBe('');
    expect(kws.getIntAttribute('age')).toBe(42);
    expect(kws.getIntAttribute('name')).toBe(0);
    expect(kws.getIntAttribute('ratio')).toBe(0);
    expect(kws.getIntAttribute('missing')).toBe(0);
    expect(kws.getAttribute('obj')).toEqual({ a: 1 });
    expect(kws.getAttribute('missing')).toBeUndefined();
    kws.deleteAttribute('name');
    expect(kws.getStringAttribute('name')).toBe('');
  });

  it('hands listeners a snapshot of the attributes', async () => {
    const client = await open('/ws/a');
    const [{ kws }] = await eventually(
      () => log.named(KwsEvent.Connect),
      (e) => e.length === 1,
    );
    kws.setAttribute('step', 1);
    client.send('one');
    await client.next();
    kws.setAttribute('step', 2);
    client.send('two');
    await client.next();
    const messages = log.named(KwsEvent.Message);
    expect(messages.map((m) => m.socketAttributes.step)).toEqual([1, 2]);
  });

  it('setUUID re-keys the pool, treats the same value as a no-op and refuses a held uuid', async () => {
    await open('/ws/a');
    await open('/ws/b');
    const [a, b] = (
      await eventually(
        () => log.named(KwsEvent.Connect),
        (e) => e.length === 2,
      )
    ).map((event) => event.kws);
    const oldA = a.uuid;
    await a.setUUID('alice');
    expect(a.uuid).toBe('alice');
    expect(server.get('alice')).toBe(a);
    expect(server.get(oldA)).toBeUndefined();
    await a.setUUID('alice');
    expect(server.get('alice')).toBe(a);

    const oldB = b.uuid;
    await expect(b.setUUID('alice')).rejects.toBeInstanceOf(KwsUUIDDuplicationError);
    expect(b.uuid).toBe(oldB);
    expect(server.get(oldB)).toBe(b);
    expect(server.get('alice')).toBe(a);
    expect(server.localCount).toBe(2);

    await server.emitTo('alice', 'to alice by name');
    const [clientA] = clients;
    expect((await clientA.next()).text).toBe('to alice by name');
  });
});
