import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WebSocketGateway } from '@nestjs/websockets';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KwsAdapter, KwsEvent, type KwsModuleOptions } from '../../src/index.js';
import { EventLog } from '../apps/event-log.js';
import { echoApp } from '../apps/echo.app.js';
import { OriginRefusals } from '../../src/transport/origin.refusals.js';
import { rawExchange, upgradeRequest } from '../helpers/raw-http.js';
import { startApp, type Platform, type RunningApp } from '../helpers/start-app.js';
import { connect, eventually } from '../helpers/ws-client.js';

describe.each<Platform>(['express', 'fastify'])('origins, secure by default (%s)', (platform) => {
  let running: RunningApp | undefined;

  afterEach(async () => {
    await running?.app.close();
    running = undefined;
    vi.restoreAllMocks();
  });

  async function start(options: KwsModuleOptions = {}): Promise<EventLog> {
    running = await startApp(echoApp({ path: '/ws', ...options }), platform);
    return running.app.get(EventLog);
  }

  /** The HTTP status a raw upgrade with these headers gets (101 when accepted). */
  async function statusOf(headers: Record<string, string>): Promise<number> {
    const exchange = await rawExchange(running!.port, upgradeRequest('/ws', headers));
    const answer = await exchange.firstChunk;
    exchange.socket.destroy();
    return Number(/^HTTP\/1.1 (\d+)/.exec(answer)?.[1]);
  }

  function warnings(): ReturnType<typeof vi.fn> {
    return vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined) as never;
  }

  it('refuses a browser Origin of another host with 403 and says how to allow it, once per origin', async () => {
    const warn = warnings();
    const log = await start();
    const host = `127.0.0.1:${running!.port}`;
    for (let i = 0; i < 5; i++) {
      expect(await statusOf({ Host: host, Origin: 'https://evil.example' })).toBe(403);
    }
    const lines = warn.mock.calls.map(([line]) => String(line));
    const refusals = lines.filter((line) => line.includes('"https://evil.example"'));
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toContain('"origins"');
    expect(refusals[0]).toContain(`origins: ["https://evil.example"]`);
    expect(log.named(KwsEvent.Connect)).toHaveLength(0);
  });

  it('accepts requests without Origin (non-browser clients) and pages of the same host', async () => {
    const log = await start();
    const port = running!.port;
    expect(await statusOf({ Host: `127.0.0.1:${port}` })).toBe(101);
    expect(await statusOf({ Host: `127.0.0.1:${port}`, Origin: `http://127.0.0.1:${port}` })).toBe(
      101,
    );
    // Case, and a page served over https by a proxy in front (the scheme is not compared).
    expect(await statusOf({ Host: `LocalHost:${port}`, Origin: `https://localhost:${port}` })).toBe(
      101,
    );
    // A `ws` client that sends the page's origin, as a browser on this app's page does.
    const client = await connect(running!.wsUrl('/ws'), { origin: running!.httpUrl('') });
    await eventually(
      () => log.named(KwsEvent.Connect).length,
      (n) => n === 4,
    );
    client.socket.close();
  });

  it('compares host and port: a missing port is the default port of the Origin scheme', async () => {
    warnings();
    await start();
    const cases: [string, string, number][] = [
      ['app.example', 'https://app.example', 101],
      ['app.example', 'https://app.example:443', 101],
      ['app.example:443', 'https://app.example', 101],
      ['app.example', 'http://app.example', 101],
      ['app.example:8080', 'https://app.example:8080', 101],
      ['APP.example.', 'https://app.example', 403],
      ['app.example', 'http://app.example:8080', 403],
      ['app.example:8080', 'http://app.example', 403],
      ['app.example:80', 'https://app.example', 403],
      ['app.example', 'https://app.example.evil.example', 403],
      ['app.example', 'https://evil.example', 403],
      ['app.example', 'null', 403],
      ['app.example', 'file://', 403],
      ['evil.example@app.example', 'https://app.example', 403],
      ['[::1]:3000', 'http://[0:0::1]:3000', 101],
      ['[::1]', 'http://[::2]', 403],
    ];
    for (const [host, origin, status] of cases) {
      expect([host, origin, await statusOf({ Host: host, Origin: origin })]).toEqual([
        host,
        origin,
        status,
      ]);
    }
  });

  it('reads X-Forwarded-Host only from a proxy that trustProxy trusts', async () => {
    warnings();
    await start();
    const behindProxy = {
      Host: 'backend:3000',
      'X-Forwarded-Host': 'app.example',
      Origin: 'https://app.example',
    };
    expect(await statusOf(behindProxy)).toBe(403);
    await running!.app.close();
    await start({ trustProxy: 'loopback' });
    expect(await statusOf(behindProxy)).toBe(101);
    expect(await statusOf({ ...behindProxy, Origin: 'https://backend:3000' })).toBe(403);
    await running!.app.close();
    await start({ trustProxy: ['10.0.0.0/8'] });
    expect(await statusOf(behindProxy)).toBe(403);
  });

  it('origins: () => true is the explicit opt-out; the predicate sees the request', async () => {
    const hosts: (string | undefined)[] = [];
    await start({
      origins: (origin, request) => {
        hosts.push(request.headers.host);
        return origin !== 'https://blocked.example';
      },
    });
    expect(await statusOf({ Host: 'app.example', Origin: 'https://evil.example' })).toBe(101);
    warnings();
    expect(await statusOf({ Host: 'app.example', Origin: 'https://blocked.example' })).toBe(403);
    expect(hosts).toEqual(['app.example', 'app.example']);
  });

  it('a client inventing origins cannot flood the log', async () => {
    const warn = warnings();
    await start();
    for (let i = 0; i < 40; i++) {
      expect(await statusOf({ Host: 'app.example', Origin: `https://evil${i}.example` })).toBe(403);
    }
    const refusals = warn.mock.calls.filter(([line]) => /WebSocket upgrade/.test(String(line)));
    expect(refusals.length).toBeLessThanOrEqual(16);
  });
});

@WebSocketGateway({ path: '/gateway' })
class PlainGateway {}

@Module({ providers: [PlainGateway] })
class GatewayModule {}

describe('origins on KwsAdapter gateways', () => {
  it('the same same-host default applies', async () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const app = await NestFactory.create(GatewayModule, { logger: ['error'] });
    app.useWebSocketAdapter(new KwsAdapter(app));
    await app.listen(0, '127.0.0.1');
    try {
      const { port } = app.getHttpServer().address() as AddressInfo;
      const statusOf = async (headers: Record<string, string>) => {
        const exchange = await rawExchange(port, upgradeRequest('/gateway', headers));
        const answer = await exchange.firstChunk;
        exchange.socket.destroy();
        return Number(/^HTTP\/1.1 (\d+)/.exec(answer)?.[1]);
      };
      expect(await statusOf({ Host: 'app.example', Origin: 'https://evil.example' })).toBe(403);
      expect(await statusOf({ Host: 'app.example', Origin: 'https://app.example' })).toBe(101);
      expect(await statusOf({ Host: 'app.example' })).toBe(101);
    } finally {
      await app.close();
      vi.restoreAllMocks();
    }
  });
});

describe('origin refusal log', () => {
  it('counts what it does not log in one line when the window ends', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const refusals = new OriginRefusals(50);
      for (let i = 0; i < 20; i++) refusals.report(`https://evil${i}.example`, `line ${i}`);
      refusals.report('https://evil0.example', 'line 0 again');
      expect(warn).toHaveBeenCalledTimes(16);
      await vi.waitFor(() => expect(warn).toHaveBeenCalledTimes(17), { timeout: 2_000 });
      expect(String(warn.mock.calls[16][0])).toContain('5 more WebSocket upgrade(s) were refused');
    } finally {
      vi.restoreAllMocks();
    }
  });
});
