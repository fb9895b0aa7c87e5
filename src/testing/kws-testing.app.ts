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
} from '../client/index.js';
import { waitForState } from './client-state.js';
import { KwsTestingSocket } from './testing-socket.js';

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
    const client = new KwsClient<S, C>(this.url(path), {
      WebSocket: KwsTestingSocket,
      minDelay: 10,
      maxDelay: 100,
      ...this.options.client,
      ...options,
    });
    this.clients.add(client);
    return client;
  }

  /**
   * A client of `path`, once open. Rejects (and closes it) when the first attempt fails, e.g.
   * "Unexpected server response: 403" from `allowUpgrade`.
   */
  async connect<S extends KwsEventMap = KwsAnyEvents, C extends KwsEventMap = KwsAnyEvents>(
    path = '/ws',
    options: KwsClientOptions = {},
  ): Promise<KwsClient<S, C>> {
    // The first socket the client opens: its error says why the connection failed.
    let socket: KwsTestingSocket | undefined;
    const record = (created: KwsTestingSocket): void => {
      socket ??= created;
    };
    class Recorded extends KwsTestingSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        record(this);
      }
    }
    const client = this.client<S, C>(path, { WebSocket: Recorded, ...options });
    let stop = (): void => undefined;
    const failed = new Promise<never>((_, reject) => {
      stop = client.onState(({ state, code }) => {
        if (state === 'open') return;
        const why = socket?.lastError ?? `closed with code ${code}`;
        reject(new Error(`Could not connect to ${this.url(path)}: ${why}`));
      });
    });
    try {
      await Promise.race([
        waitForState(client, 'open', this.options.connectTimeout ?? 5_000),
        failed,
      ]);
      return client;
    } catch (error) {
      client.close();
      throw error;
    } finally {
      stop();
      failed.catch(() => undefined);
    }
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
