import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { Kws } from '../connection/kws.js';
import type { KwsContext } from '../connection/kws.context.js';
import { KwsRequest } from '../connection/request.data.js';
import { newUuid } from '../connection/uuid.js';
import { KwsDisconnectError } from '../errors/kws-disconnect.error.js';
import type { KwsBroker } from '../broker/kws-broker.interface.js';
import type { KwsAttributes, KwsModuleOptions } from '../kws-module-options.interface.js';
import {
  CloseCode,
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_PING_INTERVAL,
  DEFAULT_PONG_TIMEOUT,
  DEFAULT_SHUTDOWN_TIMEOUT,
  KwsEvent,
  SHUTDOWN_CLOSE_REASON,
} from '../kws.constants.js';
import { KWS_MODULE_OPTIONS } from '../kws.module-definition.js';
import { KWS_BROKER, KWS_CONTEXT } from '../kws.tokens.js';
import { isExpectedRejection, toAckError } from '../events/ack-error.mapper.js';
import { CONNECT_TIMED_OUT, NO_HTTP_SERVER, PEER_CLOSED } from '../kws.messages.js';
import { KwsEventDispatcher } from '../events/event.dispatcher.js';
import { KwsAdapter, type KwsTransport } from '../transport/kws.adapter.js';
import { KwsHeartbeat } from '../transport/heartbeat.js';
import type { KwsRouteParams } from '../transport/path.matcher.js';
import { KwsConnectionPool } from './connection.pool.js';

/** Lets the shared socket handlers below find their connection without a closure per socket. */
const KWS = Symbol('kws');
interface BoundSocket extends WebSocket {
  [KWS]: Kws;
  on(event: string, listener: (this: BoundSocket, ...args: never[]) => void): this;
}

/**
 * Opens the endpoint when the app boots and closes it when the app shuts down; turns socket
 * events into kws events. This is where a frame goes from the socket to your listeners.
 */
@Injectable()
export class KwsEndpoint implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('KwsModule');
  private readonly heartbeat: KwsHeartbeat;
  private adapter: KwsAdapter | undefined;
  private transport: KwsTransport | undefined;

  constructor(
    @Inject(KWS_MODULE_OPTIONS) private readonly options: KwsModuleOptions,
    @Inject(KWS_BROKER) private readonly broker: KwsBroker,
    private readonly pool: KwsConnectionPool,
    private readonly dispatcher: KwsEventDispatcher,
    private readonly httpAdapterHost: HttpAdapterHost,
    @Inject(KWS_CONTEXT) private readonly context: KwsContext,
  ) {
    this.heartbeat = new KwsHeartbeat(
      pool,
      options.pingInterval ?? DEFAULT_PING_INTERVAL,
      options.pongTimeout ?? DEFAULT_PONG_TIMEOUT,
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    const port = this.options.port ?? 0;
    const httpServer = port > 0 ? undefined : this.httpAdapterHost?.httpAdapter?.getHttpServer();
    if (port === 0 && !httpServer) {
      this.logger.error(NO_HTTP_SERVER);
      return;
    }
    await this.broker.start();
    this.adapter = new KwsAdapter(httpServer);
    this.transport = this.adapter.create(port, { ...this.options, clientTracking: false });
    // A standalone port must be listening (or have failed loudly) before bootstrap ends.
    if (this.transport.standalone) await once(this.transport.httpServer, 'listening');
    this.adapter.bindClientConnect(this.transport, (socket, request, params, attributes) =>
      this.accept(socket, request, params, attributes),
    );
    this.heartbeat.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.adapter || !this.transport) return;
    this.heartbeat.stop();
    await this.adapter.close(this.transport);
    this.adapter = undefined;
    await this.closeEveryone();
    await this.broker.stop();
  }

  private accept(
    socket: WebSocket,
    request: IncomingMessage,
    params: KwsRouteParams,
    attributes: KwsAttributes | undefined,
  ): void {
    const kws = new Kws(
      socket,
      KwsRequest.from(request, params, this.options.trustProxy),
      this.context,
      newUuid(),
      attributes,
    );
    const bound = socket as BoundSocket;
    bound[KWS] = kws;
    this.pool.add(kws);
    // Frames wait until `connect` has run, so no listener sees a message before the connect.
    socket.pause();
    bound.on('message', onMessage);
    bound.on('ping', onPing);
    bound.on('pong', onPong);
    bound.on('error', onError);
    bound.on('close', onClose);
    this.broker
      .register(kws.uuid)
      .catch((error: unknown) => this.logger.warn(String(error)))
      .then(() => (kws.isAlive() ? this.runConnect(kws) : undefined))
      // Resumed either way: a connection closed meanwhile must still read its peer's close frame.
      .finally(() => socket.resume());
  }

  /**
   * Runs `connect` listeners and waits for them (bounded by `connectTimeout`), so no `message`
   * reaches a listener before `connect` has finished. A guard or a listener that throws a Nest
   * exception refuses the connection: it is closed with 1008 and the exception's message.
   */
  private async runConnect(kws: Kws): Promise<void> {
    const limit = this.options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(resolve, limit, 'timeout');
    });
    const outcome = await Promise.race([
      this.dispatcher.run(kws, KwsEvent.Connect, undefined, false),
      timedOut,
    ]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.warn(CONNECT_TIMED_OUT(kws.uuid, limit));
    } else if (isExpectedRejection(outcome.error)) {
      kws.close(CloseCode.PolicyViolation, toAckError(outcome.error).message);
    }
  }

  /** Shutdown: 1001 to everyone, a short wait for their answers, then the rest are cut. */
  private async closeEveryone(): Promise<void> {
    for (const kws of this.pool.values()) {
      kws.closedByServer = true;
      kws.conn.close(CloseCode.GoingAway, SHUTDOWN_CLOSE_REASON);
    }
    await this.poolEmpty(this.options.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT);
    for (const kws of this.pool.values()) kws.conn.terminate();
    await this.poolEmpty(50);
    // A socket that never reported 'close' still gets its one disconnect.
    for (const kws of Array.from(this.pool.values())) onEnd(kws, CloseCode.Abnormal, '');
  }

  private poolEmpty(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.pool.size === 0 || Date.now() >= deadline) resolve();
        else setTimeout(check, 5);
      };
      check();
    });
  }
}

// Shared handlers: `this` is the socket, its Kws hangs on it.

function onMessage(this: BoundSocket, data: Buffer, isBinary: boolean): void {
  const kws = this[KWS];
  kws.pingSentAt = 0;
  kws.context.receive(kws, data, isBinary);
}

function onPing(this: BoundSocket, data: Buffer): void {
  const kws = this[KWS];
  kws.pingSentAt = 0;
  kws.context.dispatcher.dispatch(kws, KwsEvent.Ping, Buffer.from(data));
}

function onPong(this: BoundSocket, data: Buffer): void {
  const kws = this[KWS];
  kws.pingSentAt = 0;
  kws.context.dispatcher.dispatch(kws, KwsEvent.Pong, Buffer.from(data));
}

/** `ws` reports protocol errors (oversize 1009, bad UTF-8 1007, ...) here, then closes. */
function onError(this: BoundSocket, error: Error & { [key: symbol]: unknown }): void {
  const kws = this[KWS];
  const code = statusCodeOf(error);
  kws.endError ??= new KwsDisconnectError(code, error.message, error.message, 'protocol', {
    cause: error,
  });
  kws.context.dispatcher.dispatch(kws, KwsEvent.Error, undefined, false, error);
}

function onClose(this: BoundSocket, code: number, reason: Buffer): void {
  onEnd(this[KWS], code, reason.toString());
}

function onEnd(kws: Kws, code: number, reason: string): void {
  if (!kws.markEnded()) return;
  const { pool, broker, dispatcher } = kws.context;
  if (pool.delete(kws)) broker.unregister(kws.uuid);
  dispatcher.dispatch(
    kws,
    KwsEvent.Disconnect,
    undefined,
    false,
    disconnectError(kws, code, reason),
  );
}

function disconnectError(kws: Kws, code: number, reason: string): KwsDisconnectError | null {
  if (kws.endError) return kws.endError;
  if (kws.closedByServer) return null;
  if (code === CloseCode.Normal || code === CloseCode.GoingAway || code === CloseCode.NoStatus) {
    return null;
  }
  const kind = code === CloseCode.Abnormal ? 'network' : 'peer';
  return new KwsDisconnectError(code, reason, PEER_CLOSED(code, reason), kind);
}

function statusCodeOf(error: Error & { [key: symbol]: unknown }): number {
  for (const key of Object.getOwnPropertySymbols(error)) {
    if (key.description === 'status-code' && typeof error[key] === 'number') return error[key];
  }
  return CloseCode.Abnormal;
}
