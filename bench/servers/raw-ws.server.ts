// The floor: a bare `ws` server, broadcasting the way its README shows (loop over clients, send).
import { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { runBenchServer } from './server-harness.js';

runBenchServer(async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ws' });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  return {
    port: (wss.address() as AddressInfo).port,
    broadcast: (payload) => {
      for (const client of wss.clients) client.send(payload);
    },
    close: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
});
