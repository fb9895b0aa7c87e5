import { Logger, type INestApplicationContext, type WebSocketAdapter } from '@nestjs/common';
import type { WsMessageHandler } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import type { WebSocket } from 'ws';
import type { Observable } from 'rxjs';
import type { KwsAllowUpgrade } from '../kws-module-options.interface.js';
import { DEFAULT_PATH, DEFAULT_SHUTDOWN_TIMEOUT } from '../kws.constants.js';
import { ENDPOINT_READY, NO_HTTP_SERVER } from '../kws.messages.js';
import { KwsTransport } from './kws.transport.js';
import type { KwsOriginPredicate } from './origin.check.js';

/** Options of `KwsAdapter.create` (what a `@WebSocketGateway({...})` passes). */
export interface KwsAdapterOptions {
  path?: string;
  host?: string;
  maxPayload?: number;
  compression?: boolean | import('ws').PerMessageDeflateOptions;
  /** Same as KwsModule's `origins` (default: same host only). */
  origins?: string[] | KwsOriginPredicate;
  allowUpgrade?: KwsAllowUpgrade;
  /** Milliseconds `allowUpgrade` may take before the upgrade is answered 503. Default 10 000. */
  handshakeTimeout?: number;
}

/** A gateway's server: the shared transport plus the open sockets a gateway must end on close. */
export interface KwsGatewayServer {
  readonly transport: KwsTransport;
  readonly clients: Set<WebSocket>;
}

/**
 * A Nest `WebSocketAdapter` for plain `@WebSocketGateway` classes
 * (`app.useWebSocketAdapter(new KwsAdapter(app))`): JSON `{ "event", "data" }` frames as with
 * `@nestjs/platform-ws`, on the same transport as `KwsModule`, so it shares the HTTP server with
 * other WebSocket servers and refuses a path another endpoint already serves.
 */
export class KwsAdapter implements WebSocketAdapter<
  KwsGatewayServer,
  WebSocket,
  KwsAdapterOptions
> {
  private readonly logger = new Logger('KwsModule');

  constructor(private readonly appOrServer?: INestApplicationContext | Server) {}

  create(port: number, options: KwsAdapterOptions = {}): KwsGatewayServer {
    const path = options.path ?? DEFAULT_PATH;
    const transportOptions = { ...options, path, owner: `@WebSocketGateway on KwsAdapter` };
    let transport: KwsTransport;
    if (port > 0) {
      transport = KwsTransport.standalone(port, options.host, transportOptions);
      transport.httpServer.once('listening', () =>
        this.logger.log(ENDPOINT_READY(`ws://${options.host ?? 'localhost'}:${port}${path}`)),
      );
      transport.httpServer.once('error', (error) => this.logger.error(error));
    } else {
      const httpServer = this.appHttpServer();
      if (!httpServer) throw new Error(NO_HTTP_SERVER);
      transport = KwsTransport.attach(httpServer, transportOptions);
    }
    const clients = new Set<WebSocket>();
    return { transport, clients };
  }

  bindClientConnect(server: KwsGatewayServer, callback: (socket: WebSocket) => void): void {
    server.transport.onConnection((socket) => {
      server.clients.add(socket);
      socket.once('close', () => server.clients.delete(socket));
      callback(socket);
    });
  }

  bindClientDisconnect(client: WebSocket, callback: () => void): void {
    client.on('close', callback);
  }

  /** JSON `{ "event": name, "data": ... }` frames, as in `@nestjs/platform-ws`. */
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
      const handler = handlers.find((candidate) => candidate.message === message?.event);
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

  close(server: KwsGatewayServer): Promise<void> {
    return server.transport.close(server.clients, DEFAULT_SHUTDOWN_TIMEOUT);
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
}
