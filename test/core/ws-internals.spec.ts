import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import * as wsModule from 'ws';
import { serverFrame } from '../../src/connection/outbound.message.js';
import { KwsEventDispatcher } from '../../src/events/event.dispatcher.js';
import { KWS_BROKER, KWS_MODULE_OPTIONS, KwsEvent, KwsServer } from '../../src/index.js';
import { KWS_CONTEXT } from '../../src/kws.tokens.js';
import type { KwsContext } from '../../src/connection/kws.context.js';
import { KwsConnectionPool } from '../../src/server/connection.pool.js';
import { createKwsContext } from '../../src/server/kws-context.factory.js';
import { KwsStats } from '../../src/metrics/kws.stats.js';
import { KwsSocket } from '../../src/transport/kws.socket.js';
import {
  closeCodeOf,
  isStockAutoPongDone,
  probeSendFrame,
} from '../../src/transport/ws-internals.js';
import { EventLog } from '../apps/event-log.js';
import { echoApp } from '../apps/echo.app.js';
import { connect, eventually, type TestClient } from '../helpers/ws-client.js';

describe('the one private surface of ws (Sender#sendFrame), checked at boot', () => {
  it('passes on the installed ws', () => {
    expect(probeSendFrame()).toBeTypeOf('function');
  });

  it.each([
    ['no Sender', {}],
    ['a Sender without sendFrame', { Sender: class {} }],
    [
      'a sendFrame that does not write what it is given',
      {
        Sender: class {
          constructor(private readonly socket: { write(chunk: Buffer): void }) {}
          sendFrame(list: Buffer[]): void {
            this.socket.write(list[0].subarray(1));
          }
        },
      },
    ],
    [
      'a Sender whose constructor wants something else',
      {
        Sender: class {
          constructor() {
            throw new TypeError('new signature');
          }
          sendFrame(): void {}
        },
      },
    ],
  ])('fails (so the writer falls back to ws.send) for %s', (_, module) => {
    expect(probeSendFrame(module)).toBeUndefined();
  });

  it('frames what ws frames, byte for byte, at every length class', () => {
    const frame = (wsModule as unknown as { Sender: { frame(d: Buffer, o: object): Buffer[] } })
      .Sender.frame;
    for (const length of [0, 1, 125, 126, 65535, 65536, 70_000]) {
      const payload = Buffer.alloc(length, 0x61);
      for (const opcode of [1, 2]) {
        const expected = Buffer.concat(
          frame(payload, { fin: true, opcode, mask: false, readOnly: true, rsv1: false }),
        );
        expect(serverFrame(payload, opcode).equals(expected), `${length}/${opcode}`).toBe(true);
      }
    }
  });

  it.each([
    ['WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 1009],
    ['WS_ERR_INVALID_UTF8', 1007],
    ['WS_ERR_TOO_MANY_BUFFERED_PARTS', 1008],
    ['WS_ERR_INVALID_OPCODE', 1002],
    ['WS_ERR_EXPECTED_MASK', 1002],
    ['Z_DATA_ERROR', 1007],
    [undefined, 1006],
  ])('maps ws error code %s to close code %i', (code, closeCode) => {
    expect(closeCodeOf(Object.assign(new Error('x'), { code }))).toBe(closeCode);
  });
});

describe('the ws.send fallback (when the boot-time check fails)', () => {
  let app: INestApplication | undefined;
  const clients: TestClient[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.terminate();
    await app?.close();
    app = undefined;
  });

  it('echoes, emits and broadcasts in order, with the same slow-consumer bound', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [echoApp({ path: '/ws', sendBufferLimit: 64 * 1024, slowConsumer: 'drop' })],
    })
      .overrideProvider(KWS_CONTEXT)
      .useFactory({
        factory: (options, broker, pool, dispatcher, stats) =>
          createKwsContext(options, broker, pool, dispatcher, stats, () => undefined),
        inject: [KWS_MODULE_OPTIONS, KWS_BROKER, KwsConnectionPool, KwsEventDispatcher, KwsStats],
      })
      .compile();
    app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
    await app.listen(0, '127.0.0.1');
    expect(app.get<KwsContext>(KWS_CONTEXT).writer.mode).toBe('ws.send');
    const url = `ws://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/ws`;
    for (let i = 0; i < 2; i++) clients.push(await connect(url));
    const log = app.get(EventLog);
    const [first] = await eventually(
      () => log.named(KwsEvent.Connect),
      (e) => e.length === 2,
    );
    clients[0].send('hi');
    expect((await clients[0].next()).text).toBe('echo:hi');
    const server = app.get(KwsServer);
    for (let i = 0; i < 20; i++) await server.broadcast(`n${i}`);
    await clients[1].waitForCount(20);
    expect(clients[1].received.map((m) => m.text)).toEqual(
      Array.from({ length: 20 }, (_, i) => `n${i}`),
    );
    clients[0].socket.pause();
    let maxQueued = 0;
    for (let i = 0; i < 64; i++) {
      first.kws.emit(Buffer.alloc(16 * 1024));
      maxQueued = Math.max(maxQueued, first.kws.bufferedAmount);
    }
    expect(maxQueued).toBeLessThanOrEqual(64 * 1024 + 16 * 1024);
  });

  it('the installed ws takes the frame path', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [echoApp({ path: '/ws' })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
    await app.init();
    expect(app.get<KwsContext>(KWS_CONTEXT).writer.mode).toBe('frames');
  });
});

describe("ws's automatic-pong callback, made only when a ping arrives", () => {
  let app: INestApplication | undefined;
  const clients: TestClient[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.terminate();
    await app?.close();
    app = undefined;
  });

  it('a connection holds no closure of its own, and answers every ping past the in-flight bound', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [echoApp({ path: '/ws' })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
    await app.listen(0, '127.0.0.1');
    const url = `ws://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/ws`;
    const client = await connect(url);
    clients.push(client);
    const [{ kws }] = await eventually(
      () => app!.get(EventLog).named(KwsEvent.Connect),
      (e) => e.length === 1,
    );
    const socket = kws.conn as unknown as Record<string, unknown>;
    expect(Object.hasOwn(socket, '_autoPongComplete')).toBe(false);
    let pongs = 0;
    client.socket.on('pong', () => pongs++);
    // More than ws's maxPendingAutoPongs (60): each pong written must be counted back down.
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 50; i++) client.socket.ping();
      await eventually(
        () => pongs,
        (n) => n === (round + 1) * 50,
      );
    }
    await eventually(
      () => socket._pendingAutoPongs,
      (n) => n === 0,
    );
    expect(kws.isAlive()).toBe(true);
  });

  it("recognises the installed ws's callback only", () => {
    const stock = new wsModule.WebSocket(null as unknown as string, undefined, {
      autoPong: true,
    } as object) as unknown as { _autoPongComplete: unknown };
    expect(isStockAutoPongDone(stock._autoPongComplete)).toBe(true);
    expect(isStockAutoPongDone(() => undefined)).toBe(false);
    expect(isStockAutoPongDone(undefined)).toBe(false);
  });

  it('keeps a callback it does not recognise as ws made it', () => {
    const socket = new KwsSocket(null as unknown as string, undefined, {
      autoPong: true,
    } as object) as unknown as Record<string, unknown>;
    expect(Object.hasOwn(socket, '_autoPongComplete')).toBe(false);
    const other = (): void => undefined;
    socket._autoPongComplete = other;
    expect(Object.hasOwn(socket, '_autoPongComplete')).toBe(true);
    expect(socket._autoPongComplete).toBe(other);
  });
});
