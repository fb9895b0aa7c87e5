// The floor for one broadcast: a frame built once and written straight to each socket's libuv
// handle with one reused write request, skipping Node's Writable machinery. Nothing can send a
// broadcast for less per recipient from JavaScript; it is what the write(2) syscall costs. Uses
// Node internals (process.binding('stream_wrap')), which is fine for a yardstick, not a library.
import type { AddressInfo, Socket } from 'node:net';
import * as wsModule from 'ws';
import { WebSocketServer } from 'ws';
import { BROADCAST_MARK, runBenchServer } from './server-harness.js';

interface WriteReq {
  handle: unknown;
  oncomplete: () => void;
  /** Keeps the frame alive while libuv still writes it (what Node's own writes do). */
  buffer: Buffer | undefined;
}
interface StreamHandle {
  writeBuffer(req: WriteReq, data: Buffer): number;
}

const { WriteWrap, streamBaseState, kLastWriteWasAsync } = (
  process as unknown as {
    binding(name: string): {
      WriteWrap: new () => WriteReq;
      streamBaseState: Int32Array;
      kLastWriteWasAsync: number;
    };
  }
).binding('stream_wrap');
const FRAME = { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false };
const noop = (): void => undefined;

runBenchServer(async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ws' });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const sockets = new Set<Socket>();
  let req = new WriteWrap();
  const broadcast = (payload: string | Buffer): void => {
    const parts = (
      wsModule as unknown as { Sender: { frame(d: Buffer, o: object): Buffer[] } }
    ).Sender.frame(Buffer.from(payload), FRAME);
    const frame = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    for (const socket of sockets) {
      const handle = (socket as unknown as { _handle: StreamHandle | null })._handle;
      if (!handle || socket.writableLength > 0) {
        socket.write(frame);
        continue;
      }
      req.handle = handle;
      req.oncomplete = noop;
      req.buffer = frame;
      if (handle.writeBuffer(req, frame) !== 0) socket.write(frame);
      // A write the kernel could not take at once keeps its request (and frame) until it completes.
      else if (streamBaseState[kLastWriteWasAsync] !== 0) req = new WriteWrap();
    }
  };
  wss.on('connection', (ws, request) => {
    const socket = request.socket as Socket;
    sockets.add(socket);
    ws.once('close', () => sockets.delete(socket));
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary && data[0] === BROADCAST_MARK) broadcast(data);
      else ws.send(data, { binary: isBinary });
    });
  });
  return {
    port: (wss.address() as AddressInfo).port,
    broadcast,
    close: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
});
