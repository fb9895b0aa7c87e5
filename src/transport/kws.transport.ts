import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type PerMessageDeflateOptions, type WebSocket } from 'ws';
import { KwsError } from '../errors/kws.error.js';
import type {
  KwsAllowUpgrade,
  KwsAttributes,
  KwsUpgradeInfo,
} from '../kws-module-options.interface.js';
import {
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_MAX_PARAM_LENGTH,
  DEFAULT_MAX_PAYLOAD,
  SHUTDOWN_CLOSE_REASON,
} from '../kws.constants.js';
import { HANDSHAKE_TIMED_OUT, PORT_UNAVAILABLE } from '../kws.messages.js';
import { KwsSocket } from './kws.socket.js';
import { compileOrigins } from './origin.check.js';
import { OriginRefusals } from './origin.refusals.js';
import { compilePath, type KwsRouteParams } from './path.matcher.js';
import { claimPath } from './path.registry.js';
import { compileTrust } from './proxy.trust.js';
import { closeSockets } from './socket.shutdown.js';
import {
  askGate,
  precheckUpgrade,
  refuse,
  releaseLater,
  writeRefusal,
  type UpgradeGateOptions,
  type UpgradeVerdict,
} from './upgrade.gate.js';
import { UpgradeRouter } from './upgrade.router.js';
import { selectSubprotocol } from './subprotocols.js';

/** What a transport needs to know about its endpoint. */
export interface KwsTransportOptions {
  path: string;
  /** Who serves the path, for error messages (e.g. `KwsModule endpoint`). */
  owner: string;
  maxPayload?: number;
  compression?: boolean | PerMessageDeflateOptions;
  origins?: unknown;
  /** Whether `X-Forwarded-Host` is read for the default same-host origin check. */
  trustProxy?: unknown;
  allowUpgrade?: KwsAllowUpgrade;
  /** What `allowUpgrade` is told about the request beside it (which session it resumes). */
  describeUpgrade?: (request: IncomingMessage) => KwsUpgradeInfo | Promise<KwsUpgradeInfo>;
  handshakeTimeout?: number;
  maxParamLength?: number;
  /** Told the HTTP status of each refused upgrade (the endpoint's metrics count them). */
  onRefused?: (status: number) => void;
  /**
   * The endpoint's `rateLimit`: when set, `ws` does not answer pings by itself (it would pong
   * before anyone could count the ping); the endpoint answers the pings the limiter admits.
   */
  rateLimit?: object;
}

/** Called for each accepted socket, with its request, route params and seeded attributes. */
export type KwsConnectionHandler = (
  socket: WebSocket,
  request: IncomingMessage,
  params: KwsRouteParams,
  attributes: KwsAttributes | undefined,
) => void;

type VerifyDone = (verified: boolean, code?: number, message?: string) => void;

/** An upgrade waiting for `allowUpgrade`: held in `pending` until it settles or is abandoned. */
interface PendingHandshake {
  settle(verdict: UpgradeVerdict): void;
}

const VERDICT = Symbol('kws-verdict');
interface JudgedRequest extends IncomingMessage {
  [VERDICT]?: { params: KwsRouteParams; attributes?: KwsAttributes };
}

/**
 * One WebSocket path on an HTTP server (the app's, or one of its own for a standalone `port`):
 * claims the path, lets `ws` validate each handshake, then checks origin and params and asks
 * `allowUpgrade` (bounded by `handshakeTimeout`), and hands accepted sockets to one handler.
 * Shared by the KwsModule endpoint and the `KwsAdapter` for gateways.
 */
export class KwsTransport {
  private readonly wss: WebSocketServer;
  private readonly pending = new Set<PendingHandshake>();
  private readonly gate: UpgradeGateOptions;
  private readonly handshakeTimeout: number;
  private readonly detachers: Array<() => void> = [];
  private handler: KwsConnectionHandler = () => undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    readonly httpServer: Server,
    /** True when the transport made its own HTTP server (the `port` option). */
    readonly standalone: boolean,
    private readonly options: KwsTransportOptions,
  ) {
    this.gate = {
      origins: compileOrigins(options.origins, compileTrust(options.trustProxy)),
      originRefusals: new OriginRefusals(),
      maxParamLength: options.maxParamLength ?? DEFAULT_MAX_PARAM_LENGTH,
    };
    this.handshakeTimeout = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
      perMessageDeflate: options.compression ?? false,
      autoPong: options.rateLimit === undefined,
      WebSocket: KwsSocket,
      handleProtocols: selectSubprotocol,
      // `ws` validates the handshake first (method, key, version, protocols, extensions) and
      // only then asks this: origin, params and the user's gate never see a malformed request.
      verifyClient: (info, done) => this.verify(info.req as JudgedRequest, done as VerifyDone),
    });
    this.detachers.push(claimPath(httpServer, options.path, options.owner));
    this.detachers.push(
      UpgradeRouter.add(httpServer, {
        matcher: compilePath(options.path),
        onUpgrade: (request, socket, head, params) => this.upgrade(request, socket, head, params),
        onRequest: (request, response) => answerPlainRequest(response),
      }),
    );
  }

  /** A transport on an existing HTTP server (the app's). Throws if the path is taken there. */
  static attach(httpServer: Server, options: KwsTransportOptions): KwsTransport {
    return new KwsTransport(httpServer, false, options);
  }

  /** A transport on an HTTP server of its own, listening on `port` (not awaited). */
  static standalone(port: number, host: string | undefined, options: KwsTransportOptions) {
    return new KwsTransport(createServer(), true, options).listen(port, host);
  }

  /** Resolves once the standalone server listens; a `KwsError` naming the port if it cannot. */
  async listening(port: number, host: string | undefined): Promise<void> {
    if (this.httpServer.listening) return;
    try {
      await once(this.httpServer, 'listening');
    } catch (error) {
      throw new KwsError(PORT_UNAVAILABLE(port, host, (error as Error).message), { cause: error });
    }
  }

  /** Where accepted sockets go. */
  onConnection(handler: KwsConnectionHandler): void {
    this.handler = handler;
  }

  /**
   * Stops accepting (the path is released and upgrades waiting for `allowUpgrade` get 503), sends
   * 1001 to `sockets`, waits up to `timeoutMs` for their close, cuts the rest, and closes the
   * standalone server. Never waits on a gate. Safe to call twice.
   */
  close(sockets: Iterable<WebSocket>, timeoutMs: number): Promise<void> {
    this.closing ??= this.shutdown(sockets, timeoutMs);
    return this.closing;
  }

  private async shutdown(sockets: Iterable<WebSocket>, timeoutMs: number): Promise<void> {
    for (const detach of this.detachers.splice(0)) detach();
    for (const handshake of Array.from(this.pending)) {
      handshake.settle(refuse(503, SHUTDOWN_CLOSE_REASON));
    }
    await closeSockets(Array.from(sockets), timeoutMs);
    this.wss.close();
    if (this.standalone && this.httpServer.listening) {
      this.httpServer.closeAllConnections();
      await new Promise<void>((resolve) => this.httpServer.close(() => resolve()));
    }
  }

  private listen(port: number, host: string | undefined): this {
    this.httpServer.listen(port, host);
    return this;
  }

  private upgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    params: KwsRouteParams,
  ): void {
    if (this.closing) {
      this.options.onRefused?.(503);
      writeRefusal(socket, 503, SHUTDOWN_CLOSE_REASON);
      return;
    }
    if (request.headers.upgrade?.toLowerCase() !== 'websocket') {
      this.options.onRefused?.(426);
      writeRefusal(socket, 426, 'Upgrade Required');
      return;
    }
    (request as JudgedRequest)[VERDICT] = { params };
    this.wss.handleUpgrade(request, socket, head, (ws, accepted) => {
      const judged = (accepted as JudgedRequest)[VERDICT]!;
      this.handler(ws, accepted, judged.params, judged.attributes);
    });
  }

  /** `ws`'s verifyClient: origin and params, then the user's gate with a deadline. */
  private verify(request: JudgedRequest, done: VerifyDone): void {
    const judged = request[VERDICT]!;
    const early = precheckUpgrade(request, judged.params, this.gate);
    if (early) return this.answer(request, done, early);
    const gate = this.options.allowUpgrade;
    if (!gate) return done(true);

    const socket = request.socket;
    let settled = false;
    const handshake: PendingHandshake = {
      settle: (verdict) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.removeListener('data', onEarlyData);
        socket.removeListener('end', onLeave);
        socket.removeListener('close', onLeave);
        this.pending.delete(handshake);
        ref.handshake = undefined;
        if (verdict.accepted) judged.attributes = verdict.attributes;
        this.answer(request, done, verdict);
      },
    };
    const onLeave = (): void => {
      // The client gave up: release everything now, whatever the gate does later.
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.pending.delete(handshake);
      ref.handshake = undefined;
      socket.destroy();
    };
    // A client must wait for the 101 before sending (RFC 6455 4.1); reading also lets us see
    // it leave (FIN or reset) while the gate runs, instead of holding a CLOSE-WAIT socket.
    const onEarlyData = (): void => handshake.settle(refuse(400));
    const timer = setTimeout(
      () => handshake.settle(refuse(503, HANDSHAKE_TIMED_OUT)),
      this.handshakeTimeout,
    );
    timer.unref();
    // The gate's promise may live on in a hung backend: it keeps only this small box.
    const ref: { handshake?: PendingHandshake } = { handshake };
    this.pending.add(handshake);
    socket.on('data', onEarlyData);
    socket.on('end', onLeave);
    socket.on('close', onLeave);
    void askGate(gate, request, this.options.describeUpgrade).then((verdict) =>
      ref.handshake?.settle(verdict),
    );
  }

  private answer(request: IncomingMessage, done: VerifyDone, verdict: UpgradeVerdict): void {
    if (verdict.accepted) {
      done(true);
      return;
    }
    this.options.onRefused?.(verdict.status);
    done(false, verdict.status, verdict.message);
    releaseLater(request.socket);
  }
}

const UPGRADE_REQUIRED = 'Upgrade Required';

function answerPlainRequest(response: ServerResponse): void {
  // 426 Upgrade Required, as in the Go package. A client that asked to close gets its close.
  response.writeHead(426, {
    Upgrade: 'websocket',
    Connection: response.shouldKeepAlive ? 'Upgrade' : 'Upgrade, close',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': UPGRADE_REQUIRED.length,
  });
  response.end(UPGRADE_REQUIRED);
}
