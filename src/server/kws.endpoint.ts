import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { KwsState, type Kws } from '../connection/kws.js';
import type { KwsContext } from '../connection/kws.context.js';
import { KwsRequest } from '../connection/request.data.js';
import { KwsDisconnectError } from '../errors/kws-disconnect.error.js';
import { KwsError } from '../errors/kws.error.js';
import type { KwsBroker } from '../broker/kws-broker.interface.js';
import type { KwsAttributes, KwsModuleOptions } from '../kws-module-options.interface.js';
import {
  CloseCode,
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_MAX_PARTIAL_BYTES,
  DEFAULT_PARTIAL_MESSAGE_TIMEOUT,
  DEFAULT_PATH,
  DEFAULT_PING_INTERVAL,
  DEFAULT_PONG_TIMEOUT,
  DEFAULT_SHUTDOWN_TIMEOUT,
  KwsEvent,
} from '../kws.constants.js';
import { KWS_MODULE_OPTIONS } from '../kws.module-definition.js';
import { KWS_BROKER, KWS_CONTEXT, KWS_ENDPOINT_NAME } from '../kws.tokens.js';
import {
  ENDPOINT_READY,
  NO_ENDPOINT,
  NO_HTTP_SERVER,
  PARTIAL_BYTES_UNAVAILABLE,
  PEER_CLOSED,
  SESSION_IN_USE,
} from '../kws.messages.js';
import { KwsEventDispatcher } from '../events/event.dispatcher.js';
import { closeCodeOf } from '../transport/ws-internals.js';
import { KwsHeartbeat } from '../transport/heartbeat.js';
import { KwsPartialMessageGuard } from '../transport/partial-message.guard.js';
import { probePartialBytes } from '../transport/ws-internals.js';
import type { KwsSocket, KwsSocketRoutes } from '../transport/kws.socket.js';
import { KwsTransport, type KwsTransportOptions } from '../transport/kws.transport.js';
import { gatewayPaths } from '../transport/gateway.paths.js';
import type { KwsRouteParams } from '../transport/path.matcher.js';
import { refuseOverlap } from '../transport/path.registry.js';
import { KwsConnectionPool } from './connection.pool.js';
import { endConnection } from './connection.end.js';
import { KwsStats } from '../metrics/kws.stats.js';
import { resumeRequestOf } from '../recovery/session.recovery.js';
import { KwsAdmission } from './connection.admission.js';
import { drainForShutdown } from './session.handover.js';

/** Lets the shared socket handlers below find their connection without a closure per socket. */
interface BoundSocket extends KwsSocket {
  owner: Kws;
}

/** The part of Nest's HTTP adapter the endpoint hooks to close before any provider is destroyed. */
interface ClosableHttpAdapter {
  getHttpServer(): import('node:http').Server | undefined;
  beforeClose?: (...args: unknown[]) => unknown;
}

/**
 * Opens the endpoint when the app boots and closes it when the app shuts down; turns socket
 * events into kws events. This is where a frame goes from the socket to your listeners.
 */
@Injectable()
export class KwsEndpoint
  implements OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown
{
  private readonly logger = new Logger('KwsModule');
  private readonly heartbeat: KwsHeartbeat;
  private readonly partialMessages: KwsPartialMessageGuard | undefined;
  private transport: KwsTransport | undefined;
  private closing: Promise<void> | undefined;
  private readonly admission: KwsAdmission;

  constructor(
    @Inject(KWS_MODULE_OPTIONS) private readonly options: KwsModuleOptions,
    @Inject(KWS_BROKER) private readonly broker: KwsBroker,
    private readonly pool: KwsConnectionPool,
    private readonly dispatcher: KwsEventDispatcher,
    private readonly httpAdapterHost: HttpAdapterHost,
    @Inject(KWS_CONTEXT) private readonly context: KwsContext,
    @Inject(KWS_ENDPOINT_NAME) private readonly name: string,
    private readonly modules: ModulesContainer,
    private readonly stats: KwsStats,
  ) {
    // The in-process broker's register does nothing (unless a subclass says otherwise).
    this.admission = new KwsAdmission(
      context,
      options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT,
      bind,
      broker.registersConnections === false,
    );
    this.heartbeat = new KwsHeartbeat(
      pool,
      options.pingInterval ?? DEFAULT_PING_INTERVAL,
      options.pongTimeout ?? DEFAULT_PONG_TIMEOUT,
    );
    this.partialMessages = this.partialMessageGuard(pool);
  }

  /** The partial-message bounds, when this ws still exposes what they read. */
  private partialMessageGuard(pool: KwsConnectionPool): KwsPartialMessageGuard | undefined {
    const timeout = this.options.partialMessageTimeout ?? DEFAULT_PARTIAL_MESSAGE_TIMEOUT;
    if (timeout <= 0) return undefined;
    const partialBytes = probePartialBytes();
    if (!partialBytes) {
      this.logger.warn(PARTIAL_BYTES_UNAVAILABLE);
      return undefined;
    }
    const limit = this.options.maxPartialBytes ?? DEFAULT_MAX_PARTIAL_BYTES;
    return new KwsPartialMessageGuard(pool, partialBytes, timeout, limit);
  }

  async onApplicationBootstrap(): Promise<void> {
    const { port, host } = this.options;
    const httpAdapter = this.httpAdapterHost?.httpAdapter as ClosableHttpAdapter | undefined;
    if (!port && !httpAdapter) {
      // A module-only test or an application context: a documented mode, not a failure.
      this.logger.log(NO_ENDPOINT);
      return;
    }
    const httpServer = port ? undefined : httpAdapter?.getHttpServer();
    if (!port && !httpServer) throw new KwsError(NO_HTTP_SERVER);
    const path = this.options.path ?? DEFAULT_PATH;
    const owner = this.name ? `KwsModule endpoint "${this.name}"` : 'KwsModule endpoint';
    const options: KwsTransportOptions = {
      ...this.options,
      path,
      owner,
      onRefused: this.stats.refused,
      describeUpgrade:
        this.context.recovery && ((request) => this.context.recovery!.describe(request)),
    };
    if (httpServer) refuseOverlap(path, owner, gatewayPaths(this.modules));
    await this.broker.start();
    try {
      if (port) {
        this.transport = KwsTransport.standalone(port, host, options);
        await this.transport.listening(port, host);
        this.logger.log(ENDPOINT_READY(`ws://${host ?? 'localhost'}:${port}${path}`));
      } else {
        this.transport = KwsTransport.attach(httpServer!, options);
      }
    } catch (error) {
      await this.transport?.close([], 0);
      this.transport = undefined;
      await this.broker.stop();
      throw error;
    }
    this.stats.attach(this.transport, this.context.stats !== undefined);
    this.transport.onConnection((socket, request, params, attributes) =>
      this.accept(socket, request, params, attributes),
    );
    this.heartbeat.start();
    this.partialMessages?.start();
    if (httpAdapter) this.closeBeforeProviders(httpAdapter);
  }

  /**
   * On `app.close()` Nest calls the HTTP adapter's `beforeClose` before any `onModuleDestroy`:
   * closing there lets `disconnect` listeners use services (a database...) that other providers
   * close in their own `onModuleDestroy`. The hooks below are the fallback (application contexts).
   */
  private closeBeforeProviders(adapter: ClosableHttpAdapter): void {
    const original = adapter.beforeClose;
    const close = (): Promise<void> => this.close();
    adapter.beforeClose = async function (this: unknown, ...args: unknown[]) {
      await close();
      return original?.apply(this, args);
    };
  }

  onModuleDestroy(): Promise<void> {
    return this.close();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.close();
  }

  /** Closes the endpoint once, whichever hook comes first. */
  private close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Stop accepting, 1001 to everyone, the rest cut after shutdownTimeout, one disconnect each. */
  private async shutdown(): Promise<void> {
    const transport = this.transport;
    if (!transport) return;
    this.heartbeat.stop();
    this.partialMessages?.stop();
    this.stats.detach();
    const timeout = this.options.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT;
    // Readiness down; in cluster mode with recovery, sessions handed over (1012), not ended.
    await drainForShutdown(
      this.context,
      this.pool,
      transport,
      this.options.recovery?.handover,
      timeout,
    );
    const sockets: WebSocket[] = [];
    // Async `disconnect` listeners are awaited (up to shutdownTimeout) before app.close() goes on.
    const listeners: Array<Promise<unknown>> = [];
    const track = (settled: Promise<unknown> | undefined): void => {
      if (settled) listeners.push(settled);
    };
    const closing: KwsSocketRoutes = {
      ...ROUTES,
      close: (socket, code, reason) => {
        const kws = (socket as BoundSocket).owner;
        if (kws.conn === socket) track(onEnd(kws, code, reason.toString()));
      },
    };
    for (const kws of this.pool.values()) {
      kws.shuttingDown();
      (kws.conn as BoundSocket).routes = closing;
      sockets.push(kws.conn);
    }
    await transport.close(sockets, timeout);
    // A socket that never reported 'close' still gets its one disconnect.
    for (const kws of Array.from(this.pool.values())) track(onEnd(kws, CloseCode.Abnormal, ''));
    if (listeners.length > 0) await settledWithin(Promise.all(listeners), timeout);
    await this.broker.stop();
  }

  private accept(
    socket: WebSocket,
    request: IncomingMessage,
    params: KwsRouteParams,
    attributes: KwsAttributes | undefined,
  ): void {
    const upgrade = KwsRequest.from(request, params, this.options.path ?? DEFAULT_PATH);
    const resume = this.context.recovery && resumeRequestOf(request);
    const resumable = resume ? this.context.recovery!.take(resume) : undefined;
    if (resumable instanceof Promise) {
      // Cluster mode: the session may come from another node (one Redis round trip).
      socket.pause();
      void resumable.then((moved) => {
        // Read on in any case (admission pauses again while the checks run).
        socket.resume();
        if (moved === 'in-use') {
          // Another node holds it on a socket it has not seen drop: try again (that node's
          // heartbeat notices a dead socket within pingInterval + pongTimeout).
          socket.close(CloseCode.TryAgainLater, SESSION_IN_USE);
          return;
        }
        if (socket.readyState !== socket.OPEN) {
          // Taken, and the client left meanwhile: this node's live delivery must not wait for it.
          moved?.abandoned();
          return;
        }
        if (moved) this.admission.adopt(socket, upgrade, attributes, moved);
        else this.admission.open(socket, upgrade, attributes);
      });
      return;
    }
    if (resumable) this.admission.resume(socket, upgrade, attributes, resumable);
    else this.admission.open(socket, upgrade, attributes);
  }
}

// Shared handlers: `this` is the socket, its Kws hangs on it.

function bind(socket: WebSocket, kws: Kws): void {
  const bound = socket as BoundSocket;
  bound.owner = kws;
  // Everything `ws` reports comes through the socket class: no listener slot per socket.
  bound.routes = ROUTES;
}

const ROUTES: KwsSocketRoutes = {
  message(socket, data, isBinary) {
    const kws = (socket as BoundSocket).owner;
    // A socket replaced by a resume says nothing more for its session; and nothing a client
    // sends runs before `connect` accepted it, or after it was refused or closed.
    if (kws.conn !== socket || !kws.receives) return;
    kws.pingSentAt = 0;
    kws.context.stats?.received(data.length);
    if (kws.context.rateLimiter?.admitMessage(kws, data, isBinary) === false) return;
    kws.context.receive(kws, data, isBinary);
  },
  ping(socket, data) {
    const kws = (socket as BoundSocket).owner;
    if (kws.conn !== socket || !kws.receives) return;
    kws.pingSentAt = 0;
    const limiter = kws.context.rateLimiter;
    if (limiter !== undefined) {
      // With a rate limit `ws` does not pong by itself: a ping past the limit gets no pong.
      if (!limiter.admitControl(kws)) return;
      limiter.pong(socket, data);
    }
    kws.context.dispatcher.dispatch(kws, KwsEvent.Ping, Buffer.from(data));
  },
  pong: (socket, data) => onPong(socket as BoundSocket, data),
  error: (socket, error) => onError(socket as BoundSocket, error),
  close(socket, code, reason) {
    const kws = (socket as BoundSocket).owner;
    if (kws.conn === socket) onEnd(kws, code, reason.toString());
  },
};

function onPong(socket: BoundSocket, data: Buffer): void {
  const kws = socket.owner;
  if (kws.conn !== socket) return;
  // A pong proves the socket alive (the heartbeat, a resume's liveness probe) in any state.
  kws.pingSentAt = 0;
  if (!kws.receives) return;
  kws.session?.confirm(data);
  if (kws.context.rateLimiter?.admitControl(kws) === false) return;
  kws.context.dispatcher.dispatch(kws, KwsEvent.Pong, Buffer.from(data));
}

/** `ws` reports protocol errors (oversize 1009, bad UTF-8 1007, ...) here, then closes. */
function onError(socket: BoundSocket, error: Error): void {
  const kws = socket.owner;
  if (kws.conn !== socket) return;
  const code = closeCodeOf(error);
  // A connection `connect` has not accepted has no listeners to tell (it ends with the close).
  kws.endError ??= new KwsDisconnectError(code, error.message, error.message, 'protocol', {
    cause: error,
  });
  if (kws.hasConnected)
    kws.context.dispatcher.dispatch(kws, KwsEvent.Error, undefined, false, error);
}

/** Ends a connection once, or suspends it (recovery); returns its `disconnect` listeners' settling. */
function onEnd(kws: Kws, code: number, reason: string): Promise<unknown> | undefined {
  const error = disconnectError(kws, code, reason);
  if (kws.state === KwsState.Opening && !kws.hasConnected) {
    // `connect` is still deciding: the connection ends once it has (KwsAdmission.decided).
    if (error) kws.endError ??= error;
    return undefined;
  }
  // Recovery on: a dropped connection becomes a suspended session, not a disconnect (yet).
  if (kws.context.recovery?.suspend(kws, code, error)) return undefined;
  return endConnection(kws, error);
}

function disconnectError(kws: Kws, code: number, reason: string): KwsDisconnectError | null {
  if (kws.endError) return kws.endError;
  if (kws.state === KwsState.Closing) return null;
  if (code === CloseCode.Normal || code === CloseCode.GoingAway || code === CloseCode.NoStatus) {
    return null;
  }
  const kind = code === CloseCode.Abnormal ? 'network' : 'peer';
  return new KwsDisconnectError(code, reason, PEER_CLOSED(code, reason), kind);
}

function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void promise.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
