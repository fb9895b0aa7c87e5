import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KwsEvent, KwsServer, type KwsModuleOptions } from '../../src/index.js';
import { EventLog } from '../apps/event-log.js';
import { echoApp } from '../apps/echo.app.js';
import { rawExchange, upgradeRequest } from '../helpers/raw-http.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { connect, eventually } from '../helpers/ws-client.js';

describe('safe defaults', () => {
  let running: RunningApp | undefined;

  afterEach(async () => {
    await running?.app.close();
    running = undefined;
    vi.restoreAllMocks();
  });

  async function start(options: KwsModuleOptions): Promise<EventLog> {
    running = await startApp(echoApp({ path: '/ws/:id', ...options }));
    return running.app.get(EventLog);
  }

  /** The HTTP status a raw upgrade request gets (0 when accepted). */
  async function statusOf(request: string): Promise<number> {
    const exchange = await rawExchange(running!.port, request);
    const answer = await exchange.firstChunk;
    exchange.socket.destroy();
    const status = Number(/^HTTP\/1.1 (\d+)/.exec(answer)?.[1]);
    return status === 101 ? 0 : status;
  }

  it('origins: a string (e.g. from a config service) fails at bootstrap instead of matching substrings', async () => {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    await expect(
      start({ origins: 'https://app.example.com' as unknown as string[] }),
    ).rejects.toThrow('KwsModule option "origins" must be an array of origins');
    await expect(start({ origins: ['app.example.com'] })).rejects.toThrow(
      'KwsModule option "origins" must be a list of origins',
    );
  });

  it('origins: compared exactly by scheme, host and port', async () => {
    await start({ origins: ['https://app.example.com', 'http://localhost:3000'] });
    const origin = (value: string) => statusOf(upgradeRequest('/ws/a', { Origin: value }));
    expect(await origin('https://app.example.com')).toBe(0);
    expect(await origin('https://APP.example.com:443')).toBe(0);
    expect(await origin('http://localhost:3000')).toBe(0);
    for (const refused of [
      'https://app.example.co',
      'https://app.example.com.evil.example',
      'http://app.example.com',
      'https://app.example.com:8443',
      'http://localhost:3001',
      'p',
      'null',
    ]) {
      expect([refused, await origin(refused)]).toEqual([refused, 403]);
    }
    expect(await statusOf(upgradeRequest('/ws/a'))).toBe(403);
  });

  it('route params with "/", control characters, dot segments or over maxParamLength get 400', async () => {
    const log = await start({ maxParamLength: 12 });
    for (const param of ['a%2Fb', 'a%5Cb', '%2e%2e', '%2E', 'a%00b', 'a%0Ab', 'x'.repeat(13)]) {
      expect([param, await statusOf(upgradeRequest(`/ws/${param}`))]).toEqual([param, 400]);
    }
    expect(await statusOf(upgradeRequest(`/ws/${'x'.repeat(12)}`))).toBe(0);
    expect(await statusOf(upgradeRequest('/ws/hello%20world'))).toBe(0);
    await eventually(
      () => log.named(KwsEvent.Connect).length,
      (n) => n === 2,
    );
    expect(log.named(KwsEvent.Connect).map((e) => e.kws.params('id'))).toEqual([
      'x'.repeat(12),
      'hello world',
    ]);
  });

  it('validates the handshake before asking allowUpgrade', async () => {
    let asked = 0;
    await start({
      allowUpgrade: () => {
        asked++;
        return true;
      },
    });
    const valid = upgradeRequest('/ws/a');
    const malformed = [
      valid.replace('GET', 'POST'),
      upgradeRequest('/ws/a', { 'Sec-WebSocket-Key': 'not a key' }),
      valid.replace(/Sec-WebSocket-Key: [^\r]*\r\n/, ''),
      upgradeRequest('/ws/a', { 'Sec-WebSocket-Version': '99' }),
      upgradeRequest('/ws/a', { 'Sec-WebSocket-Protocol': 'a,,b' }),
      upgradeRequest('/ws/a', { Upgrade: 'h2c' }),
    ];
    for (const request of malformed) expect(await statusOf(request)).toBeGreaterThanOrEqual(400);
    expect(asked).toBe(0);
    expect(await statusOf(valid)).toBe(0);
    expect(asked).toBe(1);
  });

  it('KwsServer calls nobody awaits never crash the process; awaited ones still reject', async () => {
    await start({});
    const server = running!.app.get(KwsServer);
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      void server.emitTo('nobody', 'x');
      void server.emitToList(['nobody'], 'x');
      void server.broadcast(Symbol('not data') as unknown as string);
      void server.close('nobody');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).not.toHaveBeenCalled();
      await expect(server.emitTo('nobody', 'x')).rejects.toThrow('No live WebSocket connection');
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});

describe('trustProxy (Express semantics, right to left)', () => {
  let running: RunningApp | undefined;

  afterEach(async () => {
    await running?.app.close();
    running = undefined;
    vi.restoreAllMocks();
  });

  async function ipWith(trustProxy: KwsModuleOptions['trustProxy'], forwardedFor: string) {
    running = await startApp(echoApp({ path: '/ws', trustProxy }));
    const log = running.app.get(EventLog);
    const client = await connect(running.wsUrl('/ws'), {
      headers: { 'X-Forwarded-For': forwardedFor },
    });
    const [connected] = await eventually(
      () => log.named(KwsEvent.Connect),
      (e) => e.length === 1,
    );
    // Read while the connection is open: kws.ip is read from the socket on first use.
    const ip = connected.kws.ip;
    client.socket.terminate();
    await running.app.close();
    running = undefined;
    return ip;
  }

  it('believes as many hops as it is told to, and never a forged or invalid entry', async () => {
    // The test client is the "proxy" at 127.0.0.1; the left entries are what a client could send.
    expect(await ipWith(undefined, '6.6.6.6, 9.9.9.9')).toBe('127.0.0.1');
    expect(await ipWith(1, '6.6.6.6, 9.9.9.9')).toBe('9.9.9.9');
    expect(await ipWith(2, '6.6.6.6, 9.9.9.9')).toBe('6.6.6.6');
    expect(await ipWith('loopback', '6.6.6.6, 9.9.9.9')).toBe('9.9.9.9');
    expect(await ipWith(['127.0.0.0/8', '9.9.9.0/24'], '6.6.6.6, 9.9.9.9')).toBe('6.6.6.6');
    expect(await ipWith(true, '6.6.6.6, 9.9.9.9')).toBe('6.6.6.6');
    expect(await ipWith(1, '<script>')).toBe('127.0.0.1');
    expect(await ipWith(true, `1.1.1.1, ${'x'.repeat(8_000)}, 9.9.9.9`)).toBe('9.9.9.9');
    expect(await ipWith(1, '2001:db8::1')).toBe('2001:db8::1');
  });

  it.each([['nonsense'], [-1], [['10.0.0.0/99']], [{}]])(
    'an invalid trustProxy %j fails at bootstrap',
    async (trustProxy) => {
      vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      await expect(
        startApp(echoApp({ path: '/ws', trustProxy: trustProxy as never })),
      ).rejects.toThrow('KwsModule option "trustProxy" must be');
    },
  );
});

describe('without an HTTP server', () => {
  afterEach(() => vi.restoreAllMocks());

  it('an application context without port runs without an endpoint, and logs no error', async () => {
    const errors = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const app = await NestFactory.createApplicationContext(echoApp({ path: '/ws' }), {
      logger: false,
    });
    await app.init();
    expect(await app.get(KwsServer).count()).toBe(0);
    await app.close();
    expect(errors).not.toHaveBeenCalled();
  });

  it('a port that cannot be served fails at bootstrap naming it', async () => {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const taken: NetServer = await new Promise((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => resolve(server));
    });
    const { port } = taken.address() as AddressInfo;
    try {
      await expect(
        NestFactory.createApplicationContext(echoApp({ path: '/ws', port, host: '127.0.0.1' }), {
          logger: false,
          abortOnError: false,
        }),
      ).rejects.toThrow(`KwsModule cannot serve its "port" 127.0.0.1:${port}: listen EADDRINUSE`);
    } finally {
      taken.close();
    }
  });
});
