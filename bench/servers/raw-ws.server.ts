// The floor: a bare `ws` server, broadcasting the way its README shows (loop over clients, send).
// RAW_WS_JSON_ACK=1 (the named-events section): it answers nestjs-kws' `{ event, data, id }`
// requests by hand, `JSON.parse` in and `{ ack, data }` out: what any library on `ws` must at
// least spend per request/ack round trip.
import { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { BROADCAST_MARK, runBenchServer } from './server-harness.js';

runBenchServer(async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ws' });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const broadcast = (payload: string | Buffer): void => {
    for (const client of wss.clients) client.send(payload);
  };
  const jsonAck = process.env.RAW_WS_JSON_ACK === '1';
  wss.on('connection', (ws) => {
    ws.on('message', (data: Buffer, isBinary) => {
      if (jsonAck) {
        const packet = JSON.parse(data.toString()) as {
          event?: string;
          data?: unknown;
          id?: number;
        };
        if (packet.event === 'echo' && packet.id !== undefined) {
          ws.send(JSON.stringify({ ack: packet.id, data: packet.data }));
        }
        return;
      }
      if (!isBinary && data[0] === BROADCAST_MARK) broadcast(data.toString());
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
