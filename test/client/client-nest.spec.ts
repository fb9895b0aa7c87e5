import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { KwsAckError, KwsServer, KwsTimeoutError } from '../../src/index.js';
import type { LoggerService } from '@nestjs/common';
import type { KwsStateChange } from '../../src/client/index.js';
import { KwsTestingApp, nextEvent, waitForState } from '../../src/testing/index.js';
import { chatApp, Moderation, type ClientEvents, type ServerEvents } from './chat.app.js';

describe('KwsClient against a Nest app with parser json (nestjs-kws/testing)', () => {
  let kws: KwsTestingApp | undefined;

  afterEach(async () => {
    await kws?.close();
    kws = undefined;
  });

  async function start(): Promise<KwsTestingApp> {
    kws = await KwsTestingApp.start(chatApp());
    return kws;
  }

  it('requests with typed acknowledgements, and events from one client reach the others', async () => {
    await start();
    const alice = await kws!.connect<ServerEvents, ClientEvents>('/ws/alice');
    const bob = await kws!.connect<ServerEvents, ClientEvents>('/ws/bob');
    await expect(alice.request('whoami')).resolves.toBe('alice');
    await expect(alice.request('double', 21)).resolves.toBe(42);

    const said = nextEvent(bob, 'said');
    alice.emit('say', 'hello bob');
    await expect(said).resolves.toEqual({ from: 'alice', text: 'hello bob' });
  });

  it('rejects with the server error ack: 403 from a guard, 500 without details, 404 unknown or reserved', async () => {
    await start();
    const alice = await kws!.connect<ServerEvents, ClientEvents>('/ws/alice');
    await expect(alice.request('admin')).rejects.toMatchObject({
      name: 'KwsClientError',
      code: 'ack',
      message: 'Admins only',
      status: 403,
    });
    await expect(alice.request('crash')).rejects.toMatchObject({
      message: 'Internal error',
      status: 500,
    });
    const untyped = await kws!.connect('/ws/carol');
    await expect(untyped.request('no-such-event', 1)).rejects.toMatchObject({ status: 404 });
    await expect(untyped.request('connect')).rejects.toMatchObject({ status: 404 });
  });

  it('answers server requests from its handlers: a value, or an error the server sees as KwsAckError', async () => {
    await start();
    const alice = await kws!.connect<ServerEvents, ClientEvents>('/ws/alice');
    alice.on('question', async (text) => `alice says ${text} = 4`);
    // Client -> server -> client: the server's listener asks the client and acks with its answer.
    await expect(alice.request('quiz', '2+2')).resolves.toBe('alice says 2+2 = 4');

    alice.off('question');
    alice.on('question', () => {
      throw Object.assign(new Error('I refuse'), { status: 403 });
    });
    const server = kws!.app.get(KwsServer);
    const [{ uuid }] = [...server.connections()];
    const refused = await server
      .request(uuid, { event: 'question', data: 'why?' })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(KwsAckError);
    expect(refused).toMatchObject({ message: 'I refuse', status: 403 });
  });

  it('lets a server request time out when the client handler never answers', async () => {
    await start();
    const alice = await kws!.connect<ServerEvents, ClientEvents>('/ws/alice');
    alice.on('question', () => new Promise<string>(() => undefined));
    const server = kws!.app.get(KwsServer);
    const [{ uuid }] = [...server.connections()];
    await expect(
      server.request(uuid, { event: 'question', data: 'hello?' }, { timeout: 50 }),
    ).rejects.toBeInstanceOf(KwsTimeoutError);
  });

  it('exchanges raw frames next to packets', async () => {
    await start();
    const alice = await kws!.connect('/ws/alice');
    const raw: Array<string | ArrayBuffer> = [];
    alice.on('message', (data) => void raw.push(data));
    alice.send('not a packet');
    await expect(alice.request('whoami')).resolves.toBe('alice');
    await kws!.app.get(KwsServer).broadcast('to everyone, raw');
    await expect(alice.request('whoami')).resolves.toBe('alice');
    expect(raw).toEqual(['raw:not a packet', 'to everyone, raw']);
  });

  it('reconnects when the app restarts on the same port, and delivers what was queued meanwhile', async () => {
    await start();
    const { port } = kws!;
    const alice = kws!.client<ServerEvents, ClientEvents>('/ws/alice');
    const changes: KwsStateChange[] = [];
    alice.onState((change) => void changes.push(change));
    await waitForState(alice, 'open');

    await kws!.app.close();
    await waitForState(alice, 'reconnecting');
    const answer = alice.request('double', 4); // queued until the new app is up
    const restarted = await KwsTestingApp.start(chatApp(), { port });
    const bob = await restarted.connect<ServerEvents, ClientEvents>('/ws/bob');
    try {
      await expect(answer).resolves.toBe(8);
      const said = nextEvent(bob, 'said');
      alice.emit('say', 'back');
      await expect(said).resolves.toEqual({ from: 'alice', text: 'back' });
      expect(changes[1]).toMatchObject({
        state: 'reconnecting',
        code: 1001,
        reason: 'Server shutting down',
      });
      expect(changes.at(-1)).toEqual({ state: 'open' });
    } finally {
      alice.close();
      await restarted.close();
      kws = undefined;
    }
  });

  it('does not reconnect after a 4xxx close; an HTTP refusal is retried until maxAttempts, and connect() reports it', async () => {
    kws = await KwsTestingApp.start(
      chatApp({ allowUpgrade: (request) => !request.url?.endsWith('/mallory') }),
    );
    const banned = kws.client('/ws/banned');
    const closed = await waitForState(banned, 'closed');
    expect(closed).toMatchObject({ code: 4003, reason: 'Banned' });
    await expect(kws.connect('/ws/mallory')).rejects.toThrow(
      `Could not connect to ${kws.url('/ws/mallory')}: Unexpected server response: 403`,
    );
    // A client that keeps trying gets the refusal as a network error (1006) until maxAttempts.
    const mallory = kws.client('/ws/mallory', { maxAttempts: 2 });
    await expect(waitForState(mallory, 'closed')).resolves.toMatchObject({ code: 1006 });
  });

  it('module-only (no HTTP server, no port): listeners and KwsServer work, nothing logged as error or warning', async () => {
    const logged: string[] = [];
    const quiet = () => undefined;
    const logger: LoggerService = {
      log: quiet,
      debug: quiet,
      verbose: quiet,
      warn: (message: unknown) => void logged.push(`warn: ${String(message)}`),
      error: (message: unknown) => void logged.push(`error: ${String(message)}`),
      fatal: (message: unknown) => void logged.push(`fatal: ${String(message)}`),
    };
    const moduleRef = await Test.createTestingModule({ imports: [chatApp()] })
      .setLogger(logger)
      .compile();
    await moduleRef.init();
    const server = moduleRef.get(KwsServer);
    expect(server.localCount).toBe(0);
    await server.broadcast({ event: 'said', data: { from: 'nobody', text: 'to no one' } });
    await moduleRef.close();
    expect(logged).toEqual([]);
  });

  it('takes an app created on another platform (Fastify), not listening yet', async () => {
    const app = await NestFactory.create(chatApp(), new FastifyAdapter(), { logger: false });
    kws = await KwsTestingApp.start(app);
    const alice = await kws.connect<ServerEvents, ClientEvents>('/ws/alice');
    await expect(alice.request('double', 2)).resolves.toBe(4);
  });

  it('works with a @nestjs/testing module and its overrides (the docs/testing.md recipe)', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [chatApp()] })
      .overrideProvider(Moderation)
      .useValue({ isBanned: (user: string) => user === 'alice' })
      .compile();
    kws = await KwsTestingApp.start(moduleRef);

    const bob = await kws.connect<ServerEvents, ClientEvents>('/ws/bob');
    await expect(bob.request('whoami')).resolves.toBe('bob');
    const alice = kws.client('/ws/alice');
    await expect(waitForState(alice, 'closed')).resolves.toMatchObject({ code: 4003 });
  });
});

describe('the published subpath exports', () => {
  it('nestjs-kws/client and nestjs-kws/testing resolve to the built package', async () => {
    const client = await import('nestjs-kws/client');
    const testing = await import('nestjs-kws/testing');
    const kws = await testing.KwsTestingApp.start(chatApp());
    try {
      const alice = await kws.connect('/ws/alice');
      expect(alice).toBeInstanceOf(client.KwsClient);
      await expect(alice.request('whoami')).resolves.toBe('alice');
    } finally {
      await kws.close();
    }
  });
});
