import {
  Logger,
  Module,
  type DynamicModule,
  type INestApplication,
  type WebSocketAdapter,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { WsAdapter } from '@nestjs/platform-ws';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import { KwsAdapter, KwsModule } from '../../src/index.js';
import { echoApp } from '../apps/echo.app.js';
import { connect, type TestClient } from '../helpers/ws-client.js';

type AdapterFactory = (app: INestApplication) => WebSocketAdapter;

function gatewayOn(path: string) {
  @WebSocketGateway({ path })
  class EchoGateway {
    @SubscribeMessage('echo')
    echo(@MessageBody() data: unknown) {
      return { event: 'echo', data };
    }
  }
  return EchoGateway;
}

/** The echo kws endpoint on /ws, plus a gateway on `gatewayPath` served by `adapter`. */
async function boot(
  adapter: AdapterFactory | undefined,
  gatewayPath = '/gateway',
  extra: DynamicModule[] = [],
): Promise<{ app: INestApplication; url: (path: string) => string; server: Server }> {
  const kws = echoApp({ path: '/ws' });
  @Module({ imports: [kws, ...extra], providers: adapter ? [gatewayOn(gatewayPath)] : [] })
  class AppModule {}
  const app = await NestFactory.create(AppModule, { logger: ['error'], abortOnError: false });
  if (adapter) app.useWebSocketAdapter(adapter(app));
  try {
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await app.close();
    throw error;
  }
  const server = app.getHttpServer() as Server;
  const { port } = server.address() as AddressInfo;
  return { app, server, url: (path) => `ws://127.0.0.1:${port}${path}` };
}

async function kwsEcho(url: string): Promise<string> {
  const client = await connect(url);
  client.send('hi');
  const { text } = await client.next();
  client.socket.terminate();
  return text;
}

async function gatewayEcho(url: string): Promise<unknown> {
  const client = await connect(url);
  client.send(JSON.stringify({ event: 'echo', data: 'hey' }));
  const { text } = await client.next();
  client.socket.terminate();
  return JSON.parse(text);
}

function refusal(url: string): Promise<unknown> {
  return connect(url).then(
    (client: TestClient) => {
      client.socket.terminate();
      return 'accepted';
    },
    (error: Error & { status?: number }) => error.status ?? error.message,
  );
}

describe('next to other WebSocket servers on the same HTTP server', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
    vi.restoreAllMocks();
  });

  it('alone: the endpoint works and unknown paths get 404', async () => {
    const running = await boot(undefined);
    app = running.app;
    expect(await kwsEcho(running.url('/ws'))).toBe('echo:hi');
    expect(await refusal(running.url('/nowhere'))).toBe(404);
  });

  it("@nestjs/platform-ws's WsAdapter: both work on their own paths", async () => {
    const running = await boot((nest) => new WsAdapter(nest));
    app = running.app;
    expect(await kwsEcho(running.url('/ws'))).toBe('echo:hi');
    expect(await gatewayEcho(running.url('/gateway'))).toEqual({ event: 'echo', data: 'hey' });
  });

  it("@nestjs/platform-socket.io's IoAdapter: both work on their own paths", async () => {
    const running = await boot((nest) => new IoAdapter(nest));
    app = running.app;
    expect(await kwsEcho(running.url('/ws'))).toBe('echo:hi');
    // engine.io's open packet over its websocket transport.
    const io = await connect(running.url('/gateway/?EIO=4&transport=websocket'));
    expect((await io.next()).text).toMatch(/^0\{"sid":/);
    io.socket.terminate();
  });

  it('KwsAdapter for gateways: both work, and unknown paths still get 404', async () => {
    const running = await boot((nest) => new KwsAdapter(nest));
    app = running.app;
    expect(await kwsEcho(running.url('/ws'))).toBe('echo:hi');
    expect(await gatewayEcho(running.url('/gateway'))).toEqual({ event: 'echo', data: 'hey' });
    expect(await refusal(running.url('/nowhere'))).toBe(404);
  });

  it('a plain ws server added later with the `server` option (answers 400 to other paths): both work', async () => {
    const running = await boot(undefined);
    app = running.app;
    const graphql = new WebSocketServer({ server: running.server, path: '/graphql' });
    graphql.on('connection', (ws) => ws.send('graphql'));
    expect(await kwsEcho(running.url('/ws'))).toBe('echo:hi');
    const client = await connect(running.url('/graphql'));
    expect((await client.next()).text).toBe('graphql');
    client.socket.terminate();
    graphql.close();
  });

  it("a noServer ws server added later that destroys other paths (ws's README example): both work", async () => {
    const running = await boot(undefined);
    app = running.app;
    const other = new WebSocketServer({ noServer: true });
    other.on('connection', (ws) => ws.send('other'));
    running.server.on('upgrade', (request, socket, head) => {
      if (request.url === '/other') {
        other.handleUpgrade(request, socket, head, (ws) => other.emit('connection', ws));
      } else {
        socket.destroy();
      }
    });
    expect(await kwsEcho(running.url('/ws'))).toBe('echo:hi');
    const client = await connect(running.url('/other'));
    expect((await client.next()).text).toBe('other');
    client.socket.terminate();
    other.close();
  });
});

describe('two servers on one path', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    ['WsAdapter', (nest: INestApplication) => new WsAdapter(nest)],
    ['KwsAdapter', (nest: INestApplication) => new KwsAdapter(nest)],
  ])(
    'a @WebSocketGateway on %s and a KwsModule endpoint: bootstrap fails naming both',
    async (_, adapter) => {
      vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      await expect(boot(adapter, '/ws')).rejects.toThrow(
        /KwsModule endpoint cannot serve WebSocket path "\/ws": @WebSocketGateway EchoGateway already serves "\/ws"/,
      );
    },
  );

  it('two KwsModule endpoints: bootstrap fails naming both', async () => {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    await expect(
      boot(undefined, undefined, [
        KwsModule.forRoot({ name: 'admin', path: '/ws', isGlobal: false }),
      ]),
    ).rejects.toThrow(
      /KwsModule endpoint( "admin")? cannot serve WebSocket path "\/ws": KwsModule endpoint( "admin")? already serves "\/ws"/,
    );
  });
});
