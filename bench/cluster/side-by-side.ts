// nestjs-kws cluster mode next to socket.io + @socket.io/redis-adapter on the same setup: the same
// raw `ws` clients (socket.io framing for socket.io), nodes in processes of their own, 2 and 3
// nodes on a standalone Redis, 3 nodes on a Redis Cluster of 3 masters (kws: hash-tagged keys and
// sharded pub/sub; socket.io: its sharded adapter). Broadcast deliveries per node-CPU second and
// cross-node emitTo latency.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { TestRedisCluster } from '../../test/helpers/redis-cluster.js';
import { IpcPeer } from '../ipc.js';
import { openClients, type BenchSocket } from './bench-client.js';
import type { BenchRedis } from './bench-redis.js';
import type { ClusterNodeStart } from './cluster-bench-node.js';
import { measureFanout, type FanoutResult } from './cluster-fanout.js';
import { measureEmitLatency, type LatencyResult } from './emit-latency.js';
import { openSocketIoClients } from './socketio-bench-client.js';
import type { SocketIoNodeStart } from './socketio-cluster-node.js';

export interface SideBySideOptions {
  clients: number;
  messages: number;
  size: number;
  perTick: number;
  samples: number;
}

export interface SideBySideRow {
  server: 'nestjs-kws' | 'socket.io';
  nodes: number;
  redis: 'standalone' | 'Redis Cluster';
  fanout: FanoutResult;
  crossNode: LatencyResult;
}

type Setup = Omit<SideBySideRow, 'fanout' | 'crossNode'>;

/** `full`: 2 and 3 nodes and Redis Cluster; otherwise (a smoke run) 2 nodes on standalone only. */
export async function measureSideBySide(
  redis: BenchRedis,
  options: SideBySideOptions,
  full = true,
): Promise<SideBySideRow[]> {
  const rows: SideBySideRow[] = [];
  const setups: Setup[] = [];
  for (const nodes of full ? [2, 3] : [2]) {
    for (const server of ['nestjs-kws', 'socket.io'] as const) {
      setups.push({ server, nodes, redis: 'standalone' });
    }
  }
  for (const setup of setups) rows.push(await measureSetup(setup, redis.url, undefined, options));
  if (!full) return rows;
  const cluster = await TestRedisCluster.start();
  try {
    for (const server of ['nestjs-kws', 'socket.io'] as const) {
      const setup: Setup = { server, nodes: 3, redis: 'Redis Cluster' };
      rows.push(await measureSetup(setup, '', cluster.nodes, options));
    }
  } finally {
    await cluster.stop();
  }
  return rows;
}

export async function measureSetup(
  setup: Setup,
  redisUrl: string,
  clusterNodes: Array<{ host: string; port: number }> | undefined,
  { clients: clientCount, messages, size, perTick, samples }: SideBySideOptions,
): Promise<SideBySideRow> {
  process.stderr.write(`bench:cluster: ${setup.server}, ${setup.nodes} nodes, ${setup.redis} ... `);
  const kws = setup.server === 'nestjs-kws';
  const script = kws ? './cluster-bench-node.js' : './socketio-cluster-node.js';
  const nodes = Array.from(
    { length: setup.nodes },
    (_, i) => new IpcPeer(`${setup.server} node ${i + 1}`, fork(new URL(script, import.meta.url))),
  );
  try {
    const start: ClusterNodeStart | SocketIoNodeStart = kws
      ? { redisUrl, clusterNodes, keyPrefix: `kws-side-${process.pid}-${Date.now()}` }
      : { redisUrl, clusterNodes };
    const ports = await Promise.all(nodes.map((node) => node.call<number>('start', start)));
    const clients: BenchSocket[] = kws
      ? await openClients(
          ports.map((port) => `ws://127.0.0.1:${port}/ws`),
          clientCount,
        )
      : await openSocketIoClients(
          ports.map((port) => `ws://127.0.0.1:${port}`),
          clientCount,
        );
    try {
      // Nodes learn of each other through Redis: a first broadcast that reaches everyone is the
      // sign the cluster is formed.
      await measureFanout(nodes, clients, undefined, 10, size, perTick);
      const fanout = await measureFanout(nodes, clients, undefined, messages, size, perTick);
      // Clients alternate over the nodes: clients[0] is on node 1, clients[1] on node 2.
      const crossNode = await measureEmitLatency(clients[0], clients[1], samples);
      process.stderr.write('done\n');
      return { ...setup, fanout, crossNode };
    } finally {
      for (const client of clients) client.close();
    }
  } finally {
    await Promise.all(
      nodes.map(async (node) => {
        const exited = once(node.child, 'exit');
        await node.call('stop').catch(() => undefined);
        await exited;
      }),
    );
  }
}

export function renderSideBySide(rows: SideBySideRow[], options: SideBySideOptions): string {
  const count = (n: number): string => Math.round(n).toLocaleString('en-US');
  const micros = (n: number): string => `${Math.round(n).toLocaleString('en-US')} µs`;
  const lines = [
    '',
    '### Side by side with socket.io + @socket.io/redis-adapter',
    '',
    `${options.clients} clients split over the nodes, ${options.messages} broadcasts of ${options.size} B from node 1;`,
    `emitTo from a client on node 1 to one on node 2 (socket.io: \`io.to(socketId).emit\`), ${options.samples} sequential messages.`,
    'Redis Cluster: 3 masters; nestjs-kws with hash-tagged keys and sharded pub/sub, socket.io with its sharded adapter.',
    '',
    '| server | nodes | Redis | broadcast deliveries / wall s | deliveries / node-CPU s | cross-node emitTo p50 | p99 |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.server} | ${row.nodes} | ${row.redis} | ${count(row.fanout.deliveriesPerWallSecond)} | ${count(row.fanout.deliveriesPerCpuSecond)} | ${micros(row.crossNode.p50)} | ${micros(row.crossNode.p99)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
