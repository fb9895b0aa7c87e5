// One node of the cluster benchmark, in a process of its own, driven over IPC: a Nest app with
// KwsModule in cluster mode (or the in-process broker when no Redis URL is given). Each client
// learns its uuid on connect ("uuid:<id>"); a client text ">uuid rest" asks the node to
// `emitTo(uuid, rest)`, wherever uuid lives.
import { NestFactory } from '@nestjs/core';
import { Cluster } from 'ioredis';
import type { AddressInfo } from 'node:net';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { KwsEvent, KwsModule, KwsServer } from 'nestjs-kws';
import { serveIpc } from '../ipc.js';

export interface ClusterNodeStart {
  /** Redis URL of the cluster; '' for a lone node with the in-process broker. */
  redisUrl: string;
  keyPrefix: string;
  /** Cluster option `roomChannels` (default true). */
  roomChannels?: boolean;
  /** Named events (JSON parser), with connection-state recovery when true. */
  recovery?: boolean;
  /** Redis Cluster startup nodes (instead of `redisUrl`). */
  clusterNodes?: Array<{ host: string; port: number }>;
}

let app: Awaited<ReturnType<typeof NestFactory.create>> | undefined;
let server: KwsServer | undefined;

serveIpc({
  start: async ({
    redisUrl,
    keyPrefix,
    roomChannels,
    recovery,
    clusterNodes,
  }: ClusterNodeStart) => {
    const redis = clusterNodes ? new Cluster(clusterNodes, { lazyConnect: true }) : redisUrl;
    const cluster = redis ? { redis, keyPrefix, roomChannels } : undefined;
    const named = recovery === undefined ? {} : { parser: 'json' as const };
    app = await NestFactory.create(
      KwsModule.forRoot({ path: '/ws', cluster, ...named, recovery: recovery ? {} : undefined }),
      { logger: ['error', 'warn'] },
    );
    const kws = app.get(KwsServer);
    server = kws;
    kws.on(KwsEvent.Connect, ({ kws: connection }) => {
      // ?room=name: the client is a member of that room.
      const room = connection.query('room');
      if (room) connection.join(room);
      connection.emit(`uuid:${connection.uuid}`);
    });
    kws.on(KwsEvent.Message, ({ data, isBinary }) => {
      if (isBinary || data[0] !== 0x3e) return;
      const space = data.indexOf(0x20);
      const uuid = data.toString('utf8', 1, space);
      kws.emitTo(uuid, data.subarray(space + 1).toString()).catch((error: unknown) => {
        process.stderr.write(`bench node: emitTo ${uuid} failed: ${String(error)}\n`);
      });
    });
    await app.listen(0, '127.0.0.1');
    return (app.getHttpServer().address() as AddressInfo).port;
  },
  /** `count` broadcasts of `size` bytes, `perTick` per event-loop turn. */
  broadcast: async ({ count, size, perTick }: { count: number; size: number; perTick: number }) => {
    const payload = 'x'.repeat(size);
    for (let sent = 0; sent < count;) {
      const burst = Math.min(perTick, count - sent);
      for (let i = 0; i < burst; i++) void server!.broadcast(payload);
      sent += burst;
      if (sent < count) await nextMacrotask();
    }
  },
  /** As `broadcast`, each a named event `{ event: 'b', data }` (recoverable with recovery on). */
  broadcastEvent: async ({
    count,
    size,
    perTick,
  }: {
    count: number;
    size: number;
    perTick: number;
  }) => {
    const data = 'x'.repeat(size);
    for (let sent = 0; sent < count;) {
      const burst = Math.min(perTick, count - sent);
      for (let i = 0; i < burst; i++) void server!.broadcast({ event: 'b', data });
      sent += burst;
      if (sent < count) await nextMacrotask();
    }
  },
  /** `count` broadcasts of `size` bytes to `room`, `perTick` per event-loop turn. */
  broadcastRoom: async ({
    room,
    count,
    size,
    perTick,
  }: {
    room: string;
    count: number;
    size: number;
    perTick: number;
  }) => {
    const payload = 'x'.repeat(size);
    for (let sent = 0; sent < count;) {
      const burst = Math.min(perTick, count - sent);
      for (let i = 0; i < burst; i++) void server!.broadcast(payload, { room });
      sent += burst;
      if (sent < count) await nextMacrotask();
    }
  },
  cpu: () => {
    const usage = process.cpuUsage();
    return usage.user + usage.system;
  },
  stop: async () => {
    await app?.close();
    setImmediate(() => process.exit(0));
  },
});
