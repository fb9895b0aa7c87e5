// Raw `ws` with the trick nestjs-kws uses, in a few lines: each broadcast is framed once and the
// same frame is handed to every client's Sender (as socket.io does), so only the write remains
// per recipient. No corking: this is the pre-framed baseline, not a batching one.
import type { AddressInfo } from 'node:net';
import * as wsModule from 'ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { BROADCAST_MARK, runBenchServer } from './server-harness.js';

interface Framing {
  frame(data: Buffer, options: object): Buffer[];
}
interface WithSender {
  _sender: { sendFrame(list: Buffer[]): void };
}

const FRAME = { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false };

runBenchServer(async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ws' });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const broadcast = (payload: string | Buffer): void => {
    const parts = (wsModule as unknown as { Sender: Framing }).Sender.frame(
      Buffer.from(payload),
      FRAME,
    );
    const frame = [parts.length === 1 ? parts[0] : Buffer.concat(parts)];
    for (const client of wss.clients) (client as WebSocket & WithSender)._sender.sendFrame(frame);
  };
  wss.on('connection', (ws) => {
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
