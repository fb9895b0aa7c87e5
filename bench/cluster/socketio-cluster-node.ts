// One socket.io node of the side-by-side cluster benchmark, in a process of its own, driven over
// IPC like cluster-bench-node.ts: socket.io (websocket transport only) with
// @socket.io/redis-adapter on a standalone Redis, or its sharded adapter on Redis Cluster.
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import { Cluster, Redis } from 'ioredis';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { Server } from 'socket.io';
import { serveIpc } from '../ipc.js';

export interface SocketIoNodeStart {
  /** Standalone Redis URL, or '' with `clusterNodes`. */
  redisUrl: string;
  /** Redis Cluster startup nodes: the sharded adapter (SPUBLISH/SSUBSCRIBE). */
  clusterNodes?: Array<{ host: string; port: number }>;
}

let io: Server | undefined;
const clients: Array<{ disconnect(): void }> = [];

serveIpc({
  start: async ({ redisUrl, clusterNodes }: SocketIoNodeStart) => {
    const httpServer = createServer();
    let adapter;
    if (clusterNodes) {
      const pub = new Cluster(clusterNodes);
      const sub = new Cluster(clusterNodes, { shardedSubscribers: true });
      clients.push(pub, sub);
      adapter = createShardedAdapter(pub, sub);
    } else {
      const pub = new Redis(redisUrl);
      const sub = pub.duplicate();
      clients.push(pub, sub);
      adapter = createAdapter(pub, sub);
    }
    io = new Server(httpServer, { transports: ['websocket'], serveClient: false, adapter });
    io.on('connection', (socket) => {
      socket.emit('uuid', socket.id);
      // The socket.io way to reach one socket wherever it is: its own room, through the adapter.
      socket.on('to', ({ to, data }: { to: string; data: unknown }) => io!.to(to).emit('m', data));
    });
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    return (httpServer.address() as AddressInfo).port;
  },
  broadcast: async ({ count, size, perTick }: { count: number; size: number; perTick: number }) => {
    const payload = 'x'.repeat(size);
    for (let sent = 0; sent < count;) {
      const burst = Math.min(perTick, count - sent);
      for (let i = 0; i < burst; i++) io!.emit('m', payload);
      sent += burst;
      if (sent < count) await nextMacrotask();
    }
  },
  cpu: () => {
    const usage = process.cpuUsage();
    return usage.user + usage.system;
  },
  stop: async () => {
    io?.disconnectSockets(true);
    await io?.close();
    for (const client of clients) client.disconnect();
    setImmediate(() => process.exit(0));
  },
});
