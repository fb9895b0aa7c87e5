import type {
  DynamicModule,
  INestApplication,
  LogLevel,
  NestApplicationOptions,
  Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import {
  KwsClient,
  type KwsAnyEvents,
  type KwsClientOptions,
  type KwsEventMap,
  type KwsSocketConstructor,
  type KwsSocketLike,
} from '../client/index.js';
import { waitForState } from './client-state.js';
import { KwsTestingConnectError } from './connect.error.js';
import { KwsTestingSocket } from './testing-socket.js';

/** The sockets a kit client opened: its first (what `connect` checks) and its current one. */
interface ClientSockets {
  first?: KwsSocketLike;
  latest?: KwsSocketLike;
}

/** The parts of `ws`'s WebSocket the kit uses beyond what the client needs. */
interface WsLike extends KwsSocketLike {
  lastError?: string;
  ping(data?: unknown): void;
  terminate(): void;
  once(event: 'pong', listener: () => void): unknown;
  off(event: 'pong', listener: () => void): unknown;
}

/**
 * Resolves once `socket` answered a ping: the server reads a connection's frames only after its
 * `connect` listeners and guards, and a refused one is closed before the ping is read. A socket
 * class without `ping` (one of the app's own) is taken as accepted once open.
 */
function accepted(socket: KwsSocketLike | undefined, timeoutMs: number): Promise<void> {
  const ws = socket as WsLike | undefined;
  if (!ws || typeof ws.ping !== 'function' || typeof ws.once !== 'function') {
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    const answered = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      ws.off('pong', answered);
      reject(new Error(`the server did not accept the connection within ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref?.();
    ws.once('pong', answered);
    ws.ping();
  });
}

/** A compiled `@nestjs/testing` module (only the method this kit calls). */
export interface KwsTestingModuleLike {
  createNestApplication(options?: NestApplicationOptions): INestApplication;
}

/** Options of `KwsTestingApp.start`. */
export interface KwsTestingAppOptions {
  /** Port to listen on; default an ephemeral one. Give the old `port` to restart an app in place. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Nest's log levels for an app the kit creates. Default `['error', 'warn']`. */
  logger?: LogLevel[] | false;
  /** Options every client of `connect` gets (fast reconnects by default: minDelay 10, maxDelay 100). */
  client?: KwsClientOptions;
  /** Milliseconds `connect` waits for the connection. Default 5 000. */
  connectTimeout?: number;
}

/**
 * A Nest app listening on a real port, and real `KwsClient`s connected to it: test your
 * `@OnKwsEvent` listeners end to end, without fakes.
 *
 *     const kws = await KwsTestingApp.start(AppModule);
 *     const alice = await kws.connect('/ws/alice');
 *     await expect(alice.request('join', 'lobby')).resolves.toEqual(['alice']);
 *     await kws.close();
 */
export class KwsTestingApp {
  private readonly clients = new Set<KwsClient<any, any>>();
  private readonly sockets = new WeakMap<KwsClient<any, any>, ClientSockets>();

  private constructor(
    /** The running application (`app.get(...)` for providers). */
    readonly app: INestApplication,
    readonly port: number,
    private readonly options: KwsTestingAppOptions,
  ) {}

  /**
   * Starts `target` on a port: a module class or `DynamicModule` (an Express app is created), a
   * compiled `TestingModule` of `@nestjs/testing` (its overrides apply), or an app you created
   * (any platform) that is not listening yet.
   */
  static async start(
    target: Type | DynamicModule | KwsTestingModuleLike | INestApplication,
    options: KwsTestingAppOptions = {},
  ): Promise<KwsTestingApp> {
    const nestOptions: NestApplicationOptions = {
      logger: options.logger ?? ['error', 'warn'],
      abortOnError: false, // a bootstrap failure rejects here instead of exiting the test runner
    };
    let app: INestApplication;
    if ('createNestApplication' in target) app = target.createNestApplication(nestOptions);
    else if ('getHttpServer' in target) app = target;
    else app = await NestFactory.create(target, nestOptions);
    await app.listen(options.port ?? 0, options.host ?? '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    return new KwsTestingApp(app, port, options);
  }

  /** `ws://host:port<path>`. */
  url(path = '/ws'): string {
    return `ws://${this.options.host ?? '127.0.0.1'}:${this.port}${path}`;
  }

  /** A client of `path`, not yet connected (it connects in the background); closed by `close()`. */
  client<S extends KwsEventMap = KwsAnyEvents, C extends KwsEventMap = KwsAnyEvents>(
    path = '/ws',
    options: KwsClientOptions = {},
  ): KwsClient<S, C> {
    const sockets: ClientSockets = {};
    const Base: KwsSocketConstructor =
      options.WebSocket ?? this.options.client?.WebSocket ?? KwsTestingSocket;
    // Remembers each socket the client opens, for `connect` and `drop`.
    const Tracked = class extends (Base as new (
      url: string,
      protocols?: string | string[],
    ) => KwsSocketLike) {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        sockets.first ??= this;
        sockets.latest = this;
      }
    };
    const client = new KwsClient<S, C>(this.url(path), {
      minDelay: 10,
      maxDelay: 100,
      ...this.options.client,
      ...options,
      WebSocket: Tracked,
    });
    this.clients.add(client);
    this.sockets.set(client, sockets);
    return client;
  }

  /**
   * A client of `path`, once the server accepted it: open, and `connect` listeners and guards done
   * (a ping answered after them). Rejects (and closes it) with a `KwsTestingConnectError` when the
   * first attempt fails: the upgrade refused (`"Unexpected server response: 403"`, code 1006), or
   * the connection closed before it was accepted (a `connect` guard's refusal: code 1008 and the
   * exception's message as `reason`).
   */
  async connect<S extends KwsEventMap = KwsAnyEvents, C extends KwsEventMap = KwsAnyEvents>(
    path = '/ws',
    options: KwsClientOptions = {},
  ): Promise<KwsClient<S, C>> {
    const client = this.client<S, C>(path, options);
    const sockets = this.sockets.get(client)!;
    const timeout = this.options.connectTimeout ?? 5_000;
    let stop = (): void => undefined;
    const failed = new Promise<never>((_, reject) => {
      stop = client.onState(({ state, code = 1006, reason = '' }) => {
        if (state === 'open') return;
        const socket = sockets.first as WsLike | undefined;
        const why = socket?.lastError ?? `closed with code ${code}${reason ? ` (${reason})` : ''}`;
        reject(
          new KwsTestingConnectError(
            `Could not connect to ${this.url(path)}: ${why}`,
            code,
            reason,
          ),
        );
      });
    });
    try {
      await Promise.race([waitForState(client, 'open', timeout), failed]);
      await Promise.race([accepted(sockets.first, timeout), failed]);
      return client;
    } catch (error) {
      client.close();
      throw error;
    } finally {
      stop();
      failed.catch(() => undefined);
    }
  }

  /**
   * Simulates a network drop under `client`: its TCP connection is destroyed without a close frame
   * (the server sees code 1006, as when a phone loses its signal), and the client reconnects on
   * its own, resuming its session when the server has `recovery` on. Resolves once the client has
   * noticed (`reconnecting`). Throws when the client has no open connection.
   */
  async drop(client: KwsClient<any, any>): Promise<void> {
    const socket = this.sockets.get(client)?.latest as WsLike | undefined;
    if (client.state !== 'open' || !socket || typeof socket.terminate !== 'function') {
      throw new Error(`drop() needs an open client of this kit (it is ${client.state})`);
    }
    const lost = waitForState(client, 'reconnecting', this.options.connectTimeout ?? 5_000);
    socket.terminate();
    await lost;
  }

  /** Closes every client this kit handed out (clients first, so the app sees clean closes). */
  async closeClients(): Promise<void> {
    for (const client of this.clients) client.close();
    this.clients.clear();
  }

  /** Closes the clients, then the app. */
  async close(): Promise<void> {
    await this.closeClients();
    await this.app.close();
  }
}
