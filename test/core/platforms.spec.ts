import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KwsAdapter, KwsEvent } from '../../src/index.js';
import { EventLog } from '../apps/event-log.js';
import { echoApp } from '../apps/echo.app.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { connect } from '../helpers/ws-client.js';

@Controller()
class HealthController {
  @Get('health')
  health(): string {
    return 'ok';
  }
}

@WebSocketGateway({ path: '/gateway' })
class EchoGateway {
  @SubscribeMessage('echo')
  echo(@MessageBody() data: unknown, @ConnectedSocket() client: { readyState: number }) {
    return { event: 'echo', data: { data, open: client.readyState === 1 } };
  }
}

@Module({ controllers: [HealthController], providers: [EchoGateway] })
class GatewayAppModule {}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

describe('platforms', () => {
  let running: RunningApp | undefined;

  afterEach(async () => {
    await running?.app.close();
    running = undefined;
  });

  for (const platform of ['express', 'fastify'] as const) {
    it(`attaches to the ${platform} app's own server without touching main.ts; HTTP routes still work`, async () => {
      const module = echoApp({ path: '/ws/:id' });
      module.controllers = [HealthController];
      running = await startApp(module, platform);
      const client = await connect(running.wsUrl('/ws/alice?x=1'));
      client.send('hi');
      expect((await client.next()).text).toBe('echo:hi');
      const [connected] = running.app.get(EventLog).named(KwsEvent.Connect);
      expect(connected.kws.params('id')).toBe('alice');
      expect(connected.kws.query('x')).toBe('1');
      expect(await (await fetch(running.httpUrl('/health'))).text()).toBe('ok');
      expect((await fetch(running.httpUrl('/ws/alice'))).status).toBe(426);
      client.socket.terminate();
    });
  }

  it('serves on a standalone port when asked, in an app without an HTTP server', async () => {
    const port = await freePort();
    const app = await NestFactory.createApplicationContext(
      echoApp({ path: '/ws', port, host: '127.0.0.1' }),
      {
        logger: ['error'],
      },
    );
    await app.init();
    try {
      const client = await connect(`ws://127.0.0.1:${port}/ws`);
      client.send('standalone');
      expect((await client.next()).text).toBe('echo:standalone');
      client.socket.terminate();
    } finally {
      await app.close();
    }
  });

  it('KwsAdapter serves plain @WebSocketGateway classes too', async () => {
    const app = await NestFactory.create(GatewayAppModule, { logger: ['error'] });
    app.useWebSocketAdapter(new KwsAdapter(app));
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    running = {
      app,
      port,
      wsUrl: (p) => `ws://127.0.0.1:${port}${p}`,
      httpUrl: (p) => `http://127.0.0.1:${port}${p}`,
    };
    const client = await connect(running.wsUrl('/gateway'));
    client.send(JSON.stringify({ event: 'echo', data: 'hey' }));
    expect(JSON.parse((await client.next()).text)).toEqual({
      event: 'echo',
      data: { data: 'hey', open: true },
    });
    expect(await (await fetch(running.httpUrl('/health'))).text()).toBe('ok');
    // Closing the app ends the gateway's open sockets instead of waiting on them.
    await app.close();
    running = undefined;
    expect(await client.closed).toEqual({ code: 1001, reason: 'Server shutting down' });
  });
});
