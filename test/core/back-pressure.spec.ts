import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  KwsEvent,
  KwsInvalidConnectionError,
  type Kws,
  type KwsModuleOptions,
} from '../../src/index.js';
import { EventLog } from '../apps/event-log.js';
import { echoApp } from '../apps/echo.app.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { useRunningApp } from '../helpers/app-session.js';
import { connect, eventually, type TestClient } from '../helpers/ws-client.js';

const LIMIT = 256 * 1024;
const CHUNK = 64 * 1024;
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// The bound is what `ws` reports as bufferedAmount: the socket's buffer and whatever `ws` holds
// while it compresses. Random bytes do not compress, so a paused reader fills both.
describe.each([
  ['without compression', false],
  ['with compression', true],
])('slow consumers %s', (_, compression) => {
  let running: RunningApp | undefined;
  let client: TestClient | undefined;

  afterEach(async () => {
    client?.socket.terminate();
    await running?.app.close();
    running = undefined;
  });

  async function start(options: KwsModuleOptions): Promise<{ log: EventLog; kws: Kws }> {
    const module = echoApp({
      path: '/ws',
      sendBufferLimit: LIMIT,
      ...(compression ? { compression: { threshold: 0 } } : {}),
      ...options,
    });
    running = await startApp(module);
    const log = running.app.get(EventLog);
    client = await connect(running.wsUrl('/ws'), { perMessageDeflate: compression });
    expect(client.socket.extensions).toBe(compression ? 'permessage-deflate' : '');
    const [connected] = await eventually(
      () => log.named(KwsEvent.Connect),
      (e) => e.length === 1,
    );
    return { log, kws: connected.kws };
  }

  it("'close' terminates a peer that stops reading before its queue passes the limit by more than a message", async () => {
    const { log, kws } = await start({ slowConsumer: 'close' });
    client!.socket.pause();
    let maxQueued = 0;
    for (let sent = 0; sent < 400 && kws.isAlive(); sent++) {
      kws.emit(randomBytes(CHUNK));
      maxQueued = Math.max(maxQueued, kws.bufferedAmount);
      if (sent % 16 === 15) await turn();
    }
    expect(kws.isAlive()).toBe(false);
    expect(maxQueued).toBeLessThanOrEqual(LIMIT + CHUNK);
    const [event] = await eventually(
      () => log.of(kws.uuid, KwsEvent.Disconnect),
      (e) => e.length === 1,
    );
    expect(event.error).toMatchObject({ kind: 'slow-consumer' });
  });

  it("'drop' discards messages past the limit, keeps the connection and bounds its queue", async () => {
    const { log, kws } = await start({ slowConsumer: 'drop' });
    client!.socket.pause();
    let dropped = 0;
    let maxQueued = 0;
    for (let i = 0; i < 1_000 && dropped < 50; i++) {
      // Neither queued nor written: bytesWritten counts what reached the socket, bufferedAmount
      // adds what ws holds while compressing.
      const before = kws.bufferedAmount + kws.upgrade.socket.bytesWritten;
      kws.emit(randomBytes(CHUNK));
      if (kws.bufferedAmount + kws.upgrade.socket.bytesWritten === before) dropped++;
      maxQueued = Math.max(maxQueued, kws.bufferedAmount);
      if (i % 16 === 15) await turn();
    }
    expect(dropped).toBe(50);
    expect(maxQueued).toBeLessThanOrEqual(LIMIT + CHUNK);
    expect(kws.isAlive()).toBe(true);
    client!.socket.resume();
    await kws.drained();
    await eventually(
      () => kws.bufferedAmount,
      (queued) => queued === 0,
    );
    expect(kws.emit('after the flood')).toBe(true);
    const last = await eventually(
      () => client!.received.at(-1)?.text,
      (text) => text === 'after the flood',
    );
    expect(last).toBe('after the flood');
    expect(log.of(kws.uuid, KwsEvent.Disconnect)).toHaveLength(0);
  });

  it('an app that waits for drained() sends everything to a slow reader and is never cut', async () => {
    const { log, kws } = await start({ slowConsumer: 'close', highWaterMark: CHUNK });
    client!.socket.pause();
    const chunks = Array.from({ length: 40 }, () => randomBytes(CHUNK / 2)); // 5x the limit
    let maxQueued = 0;
    let waits = 0;
    const transfer = (async () => {
      for (const chunk of chunks) {
        const underMark = kws.emit(chunk);
        maxQueued = Math.max(maxQueued, kws.bufferedAmount);
        if (!underMark) {
          waits++;
          await kws.drained();
        }
      }
    })();
    // The reader wakes up only once the sender is waiting on it.
    await eventually(
      () => waits,
      (n) => n > 0,
    );
    client!.socket.resume();
    await transfer;
    await client!.waitForCount(chunks.length);
    const received = Buffer.concat(client!.received.map((m) => m.data));
    expect(client!.received).toHaveLength(chunks.length);
    expect(received.equals(Buffer.concat(chunks))).toBe(true);
    expect(maxQueued).toBeLessThanOrEqual(LIMIT);
    expect(log.of(kws.uuid, KwsEvent.Drain).length).toBe(waits);
    expect(log.of(kws.uuid, KwsEvent.Disconnect)).toHaveLength(0);
  });
});

describe('back-pressure the app can see', () => {
  const session = useRunningApp();
  const { clients } = session;

  async function open(options: KwsModuleOptions): Promise<{ log: EventLog; kws: Kws }> {
    session.running ??= await startApp(echoApp({ path: '/ws', ...options }));
    const log = session.running.app.get(EventLog);
    clients.push(await connect(session.running.wsUrl('/ws')));
    const connected = await eventually(
      () => log.named(KwsEvent.Connect),
      (e) => e.length === clients.length,
    );
    return { log, kws: connected.at(-1)!.kws };
  }

  it('emit returns false once the queue passes highWaterMark; drain fires and drained() resolves once it is flushed', async () => {
    const { log, kws } = await open({ highWaterMark: 64 * 1024 });
    await expect(kws.drained()).resolves.toBeUndefined(); // nothing queued: at once
    const chunk = Buffer.alloc(16_000, 7); // + a 4-byte frame header
    const results: boolean[] = [];
    // One callback: the first frame leaves at once, the others are corked until it ends, so the
    // queue grows by a frame each time.
    for (let i = 0; i < 7; i++) results.push(kws.emit(chunk));
    expect(results).toEqual([true, true, true, true, true, false, false]);
    expect(log.of(kws.uuid, KwsEvent.Drain)).toHaveLength(0);
    await kws.drained();
    expect(log.of(kws.uuid, KwsEvent.Drain)).toHaveLength(1);
    expect(kws.emit(chunk)).toBe(true);
    await clients[0].waitForCount(8);
    expect(clients[0].received.every((m) => m.data.equals(chunk))).toBe(true);
  });

  it('drained() rejects with KwsInvalidConnectionError when the connection ends first', async () => {
    const { log, kws } = await open({ highWaterMark: 16 * 1024 });
    clients[0].socket.pause();
    while (kws.emit(Buffer.alloc(16 * 1024))) {
      /* until the mark */
    }
    const waiting = kws.drained();
    kws.close();
    clients[0].socket.terminate();
    await expect(waiting).rejects.toBeInstanceOf(KwsInvalidConnectionError);
    await expect(kws.drained()).rejects.toBeInstanceOf(KwsInvalidConnectionError);
    expect(log.of(kws.uuid, KwsEvent.Drain)).toHaveLength(0);
  });

  it('a broadcast past one member’s mark still counts as delivered (no error event)', async () => {
    const { log, kws } = await open({ highWaterMark: 1024 });
    await open({});
    await kws.broadcast(Buffer.alloc(4096, 1));
    await Promise.all(clients.map((client) => client.waitForCount(1)));
    expect(log.named(KwsEvent.Error)).toHaveLength(0);
    await eventually(
      () => log.named(KwsEvent.Drain),
      (e) => e.length === 2,
    );
  });
});
