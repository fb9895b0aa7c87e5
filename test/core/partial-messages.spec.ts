import { connect as netConnect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { KwsEvent } from '../../src/index.js';
import { probePartialBytes } from '../../src/transport/ws-internals.js';
import { EventLog } from '../apps/event-log.js';
import { echoApp } from '../apps/echo.app.js';
import { useRunningApp } from '../helpers/app-session.js';
import { startApp } from '../helpers/start-app.js';
import { eventually } from '../helpers/ws-client.js';

/** A raw TCP WebSocket client: completes the handshake, then writes whatever frames a test wants. */
async function rawPeer(port: number): Promise<Socket> {
  const socket = netConnect(port, '127.0.0.1');
  // The server cuts these peers on purpose: a reset is expected, not an uncaught error.
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(
    'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  await new Promise<void>((resolve) => socket.once('data', () => resolve())); // the 101
  return socket;
}

/** The header of a masked client frame announcing `length` payload bytes (length < 65536). */
function frameHeader(opcode: number, fin: boolean, length: number): Buffer {
  return Buffer.from([
    (fin ? 0x80 : 0) | opcode,
    0x80 | 126,
    length >> 8,
    length & 0xff,
    0,
    0,
    0,
    0,
  ]);
}

describe('messages that never finish', () => {
  const session = useRunningApp();

  it('a message left incomplete past partialMessageTimeout is cut with 1008, even while the peer answers pings', async () => {
    session.running = await startApp(
      echoApp({ path: '/ws', partialMessageTimeout: 200, pingInterval: 50, pongTimeout: 100 }),
    );
    const log = session.running.app.get(EventLog);
    const peer = await rawPeer(session.running.port);
    // The first fragment of a text message (complete, 1,000 bytes), then no further fragment ever.
    // Empty pongs, allowed between fragments, keep the heartbeat satisfied, so only this bound
    // can end it.
    peer.write(Buffer.concat([frameHeader(0x1, false, 1_000), Buffer.alloc(1_000, 0x61)]));
    const pongs = setInterval(() => peer.write(Buffer.from([0x8a, 0x80, 0, 0, 0, 0])), 25);
    const closed = new Promise<void>((resolve) => peer.once('close', () => resolve()));
    const [disconnect] = await eventually(
      () => log.named(KwsEvent.Disconnect),
      (events) => events.length === 1,
      3_000,
    );
    expect(disconnect.error).toMatchObject({ code: 1008, kind: 'protocol' });
    expect(disconnect.error?.message).toMatch(/incomplete for more than 200 ms/);
    await closed;
    clearInterval(pongs);
  });

  it('all messages in progress together may announce at most maxPartialBytes: the oldest are cut', async () => {
    session.running = await startApp(
      echoApp({ path: '/ws', partialMessageTimeout: 2_000, maxPartialBytes: 100_000 }),
    );
    const log = session.running.app.get(EventLog);
    const first = await rawPeer(session.running.port);
    first.write(frameHeader(0x2, false, 60_000));
    await eventually(
      () => log.named(KwsEvent.Connect).length,
      (n) => n === 1,
    );
    const second = await rawPeer(session.running.port);
    // 120,000 announced in all, over the 100,000 limit: the first one goes (seen in progress
    // first, or in the same round and earlier in the pool).
    second.write(frameHeader(0x2, false, 60_000));
    const [disconnect] = await eventually(
      () => log.named(KwsEvent.Disconnect),
      (events) => events.length === 1,
      8_000,
    );
    expect(disconnect.error).toMatchObject({ code: 1013 });
    expect(disconnect.socketUUID).toBe(log.named(KwsEvent.Connect)[0].socketUUID);
    first.destroy();
    second.destroy();
  });

  it('a completed message is not in progress', async () => {
    session.running = await startApp(echoApp({ path: '/ws', partialMessageTimeout: 100 }));
    const log = session.running.app.get(EventLog);
    const peer = await rawPeer(session.running.port);
    const header = frameHeader(0x1, true, 200);
    peer.write(Buffer.concat([header, Buffer.alloc(200, 0x61)])); // mask 0: the payload is as sent
    await eventually(
      () => log.named(KwsEvent.Message).length,
      (n) => n === 1,
    );
    await new Promise((resolve) => setTimeout(resolve, 300)); // three timeouts' worth
    expect(log.named(KwsEvent.Disconnect)).toEqual([]);
    peer.destroy();
  });

  it('checks the ws internal it reads at boot, and turns the bounds off when it moved', () => {
    expect(probePartialBytes()).toBeTypeOf('function');
    expect(probePartialBytes({})).toBeUndefined();
    expect(probePartialBytes({ Receiver: class {} })).toBeUndefined();
  });
});
