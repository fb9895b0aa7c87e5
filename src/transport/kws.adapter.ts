import { Logger, type INestApplicationContext, type WebSocketAdapter } from '@nestjs/common';
import type { WsMessageHandler } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Observable } from 'rxjs';
import type { KwsAllowUpgrade, KwsAttributes } from '../kws-module-options.interface.js';
import {
  CloseCode,
  DEFAULT_MAX_PAYLOAD,
  DEFAULT_PATH,
  DEFAULT_SHUTDOWN_TIMEOUT,
  SHUTDOWN_CLOSE_REASON,
} from '../kws.constants.js';
import { ENDPOINT_READY, NO_HTTP_SERVER } from '../kws.messages.js';
import { compilePath, type KwsRouteParams } from './path.matcher.js';
import { judgeUpgrade, writeRefusal } from './upgrade.gate.js';

/** Options of `KwsAdapter.create` (also what a `@WebSocketGateway({...})` passes). */
export interface KwsAdapterOptions {
  path?: string;
  host?: string;
  maxPayload?: number;
  compression?: boolean | import('ws').PerMessageDeflateOptions;
  origins?: string[] | ((origin: string | undefined) => boolean);
  allowUpgrade?: KwsAllowUpgrade;
  /**
   * Keep a set of open sockets so `close()` can end them (what a plain gateway needs). KwsModule
   * turns it off: its connection pool already knows every socket. Default true.
   */
  clientTracking?: boolean;
}

/** Handed to `bindClientConnect` callbacks: the socket, its request, params and seeded attributes. */
export type KwsConnectionCallback = (
  socket: WebSocket,
  request: IncomingMessage,
  params: KwsRouteParams,
  attributes: KwsAttributes | undefined,
) => void;

/** One endpoint: a `ws` server in noServer mode, fed by an HTTP server's 'upgrade' event. */
export class KwsTransport extends EventEmitter {
  /** Open sockets, when `clientTracking` is on. */
  readonly clients: Set<WebSocket> | undefined;

  constructor(
    readonly wss: WebSocketServer,
    readonly httpServer: Server,
    readonly standalone: boolean,
    readonly detach: () => void,
    clientTracking: boolean,
  ) {
    super();
    this.clients = clientTracking ? new Set() : undefined;
  }
}

/**
 * A Nest `WebSocketAdapter` on `ws` that shares the app's HTTP server: it answers only upgrades
 * for its own path and leaves every other upgrade untouched, so it coexists with other WebSocket
 * servers (GraphQL subscriptions, another adapter). `KwsModule` uses it; it also serves plain
 * `@WebSocketGateway`s through `app.useWebSocketAdapter(new KwsAdapter(app))`.
 */
export class KwsAdapter implements WebSocketAdapter<KwsTransport, WebSocket, KwsAdapterOptions> {
  private readonly logger = new Logger('KwsModule');

  constructor(private readonly appOrServer?: INestApplicationContext | Server) {}

  create(port: number, options: KwsAdapterOptions = {}): KwsTransport {
    const standalone = port > 0;
    const httpServer = standalone ? createServer() : this.appHttpServer();
    if (!httpServer) throw new Error(NO_HTTP_SERVER);
    const path = options.path ?? DEFAULT_PATH;
    const matcher = compilePath(path);
    const wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
      perMessageDeflate: options.compression ?? false,
    });

    const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
      const params = matcher(pathnameOf(request.url));
      if (!params) {
        // Another listener's path: never touched. With no other listener, Node would have
        // destroyed it; answer 404 instead of leaving it open forever (and holding up close()).
        if (httpServer.listenerCount('upgrade') === 1) writeRefusal(socket, 404, 'Not Found');
        return;
      }
      void this.admit(transport, request, socket, head, params, options);
    };
    // Plain HTTP requests to the endpoint get 426 Upgrade Required, as in the Go package.
    const previous = httpServer.listeners('request') as RequestListener[];
    const onRequest: RequestListener = (request, response) => {
      if (matcher(pathnameOf(request.url))) {
        writeRefusalResponse(response);
        return;
      }
      if (previous.length === 0) {
        response.writeHead(404).end();
        return;
      }
      for (const listener of previous) listener.call(httpServer, request, response);
    };
    httpServer.removeAllListeners('request');
    httpServer.on('request', onRequest);
    httpServer.on('upgrade', onUpgrade);

    const detach = (): void => {
      httpServer.removeListener('upgrade', onUpgrade);
      if (httpServer.listeners('request').includes(onRequest)) {
        httpServer.removeListener('request', onRequest);
        for (const listener of previous) httpServer.on('request', listener);
      }
    };
    const transport = new KwsTransport(
      wss,
      httpServer,
      standalone,
      detach,
      options.clientTracking ?? true,
    );
    if (standalone) {
      httpServer.listen(port, options.host, () =>
        this.logger.log(ENDPOINT_READY(`ws://${options.host ?? 'localhost'}:${port}${path}`)),
      );
    }
    return transport;
  }

  bindClientConnect(transport: KwsTransport, callback: KwsConnectionCallback): void {
    transport.on('connection', callback);
  }

  bindClientDisconnect(client: WebSocket, callback: () => void): void {
    client.on('close', callback);
  }

  /** For `@WebSocketGateway`s: JSON `{ "event": name, "data": ... }` frames, as in `@nestjs/platform-ws`. */
  bindMessageHandlers(
    client: WebSocket,
    handlers: WsMessageHandler[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    client.on('message', (raw: Buffer, isBinary: boolean) => {
      if (isBinary) return;
      let message: { event?: unknown; data?: unknown };
      try {
        message = JSON.parse(raw.toString());
      } catch {
        return;
      }
      const handler = handlers.find((candidate) => candidate.message === message.event);
      if (!handler) return;
      transform(handler.callback(message.data, message.event)).subscribe({
        next: (response) => {
          if (response !== undefined && response !== null && client.readyState === 1) {
            client.send(JSON.stringify(response));
          }
        },
        error: (error: unknown) => this.logger.error(error),
      });
    });
  }

  async close(transport: KwsTransport): Promise<void> {
    transport.detach();
    transport.wss.close();
    if (transport.clients?.size) await closeSockets(transport.clients);
    if (transport.standalone && transport.httpServer.listening) {
      transport.httpServer.closeAllConnections();
      await new Promise<void>((resolve) => transport.httpServer.close(() => resolve()));
    }
  }

  /** Nest calls this once every gateway server is closed; nothing is left to release. */
  async dispose(): Promise<void> {}

  private appHttpServer(): Server | undefined {
    const target = this.appOrServer;
    if (!target) return undefined;
    if (target instanceof EventEmitter) return target as Server;
    const app = target as INestApplicationContext & { getHttpServer?: () => Server };
    if (typeof app.getHttpServer === 'function') return app.getHttpServer();
    return app.get(HttpAdapterHost, { strict: false })?.httpAdapter?.getHttpServer();
  }

  private async admit(
    transport: KwsTransport,
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    params: KwsRouteParams,
    options: KwsAdapterOptions,
  ): Promise<void> {
    // A client that resets while allowUpgrade runs must not crash the process.
    socket.on('error', ignore);
    const verdict = await judgeUpgrade(request, options);
    if (!verdict.accepted) {
      writeRefusal(socket, verdict.status, verdict.message);
      return;
    }
    if (socket.destroyed) return;
    transport.wss.handleUpgrade(request, socket, head, (ws) => {
      socket.removeListener('error', ignore);
      const { clients } = transport;
      if (clients) {
        clients.add(ws);
        ws.once('close', () => clients.delete(ws));
      }
      transport.emit('connection', ws, request, params, verdict.attributes);
    });
  }
}

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

function pathnameOf(url: string | undefined): string {
  if (!url) return '/';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

function writeRefusalResponse(response: ServerResponse): void {
  response.writeHead(426, {
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Content-Type': 'text/plain; charset=utf-8',
  });
  response.end('Upgrade Required');
}

function ignore(): void {}

/** 1001 to each socket, a short wait for the answers, then the rest are cut. */
async function closeSockets(sockets: Set<WebSocket>): Promise<void> {
  const closed = [...sockets].map(
    (ws) => new Promise<void>((resolve) => ws.once('close', () => resolve())),
  );
  for (const ws of sockets) ws.close(CloseCode.GoingAway, SHUTDOWN_CLOSE_REASON);
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, DEFAULT_SHUTDOWN_TIMEOUT));
  await Promise.race([Promise.all(closed), timeout]);
  for (const ws of sockets) ws.terminate();
}
