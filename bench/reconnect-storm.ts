// A reconnect storm: N clients (default 10,000) of `nestjs-kws/client` connected to one node,
// which restarts (closes every socket with 1012, stays down DOWN ms, listens again). Prints how
// the reconnects spread at the server (per 250 ms) and how long the crowd took to come back.
// The server runs in a child process (a plain `ws` server counting upgrades), the clients here.
//   npm run build && npx tsc -p tsconfig.sample.json && node .out/bench/reconnect-storm.js [N] [DOWN]
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import { KwsClient } from 'nestjs-kws/client';

const BUCKET = 250;

async function serve(): Promise<void> {
  let port = 0;
  let http: Server | undefined;
  const sockets = new Set<WebSocket>();
  let upgrades: number[] = [];
  const listen = async (): Promise<void> => {
    http = createServer();
    new WebSocketServer({ server: http }).on('connection', (socket) => {
      upgrades.push(performance.now());
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    http.listen(port, '127.0.0.1');
    await once(http, 'listening');
    port = (http.address() as AddressInfo).port;
  };
  await listen();
  process.send!({ port });
  process.on('message', async (message: { do: string; down?: number; count?: number }) => {
    if (message.do === 'restart') {
      for (const socket of sockets) socket.close(1012, 'Service Restart');
      http!.closeAllConnections();
      await new Promise<void>((resolve) => http!.close(() => resolve()));
      await new Promise((resolve) => setTimeout(resolve, message.down));
      upgrades = [];
      const back = performance.now();
      await listen();
      while (sockets.size < message.count!) await new Promise((r) => setTimeout(r, 50));
      const buckets: number[] = [];
      for (const at of upgrades) {
        const index = Math.floor((at - back) / BUCKET);
        while (buckets.length <= index) buckets.push(0);
        buckets[index]++;
      }
      process.send!({ buckets, allBackMs: Math.round(Math.max(...upgrades) - back) });
    }
  });
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 10_000);
  const down = Number(process.argv[3] ?? 2_000);
  const child = fork(fileURLToPath(import.meta.url), ['--server'], { stdio: 'inherit' });
  const [{ port }] = (await once(child, 'message')) as [{ port: number }];
  const clients: KwsClient[] = [];
  for (let i = 0; i < count; i++) {
    clients.push(new KwsClient(`ws://127.0.0.1:${port}/`, { WebSocket, maxDelay: 10_000 }));
    if (i % 500 === 499) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  while (clients.some((client) => client.state !== 'open')) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  console.log(`${count} clients open; restarting the node (down ${down} ms)`);
  child.send({ do: 'restart', down, count });
  const [result] = (await once(child, 'message')) as [{ buckets: number[]; allBackMs: number }];
  const peak = Math.max(...result.buckets);
  console.log(`all ${count} back ${result.allBackMs} ms after the node listened again`);
  console.log(`peak ${peak} upgrades per ${BUCKET} ms (${Math.round((peak * 1000) / BUCKET)}/s)`);
  console.log(`per ${BUCKET} ms: ${result.buckets.join(' ')}`);
  for (const client of clients) client.close();
  child.kill();
}

if (process.argv.includes('--server')) void serve();
else void main();
