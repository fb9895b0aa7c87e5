// Room broadcasts as the cluster grows: 2, 4 and 6 nodes, a room whose members sit on 1 node,
// 2 nodes or every node; deliveries per node-CPU second (all nodes' CPU, idle ones included),
// with room channels (only the nodes holding members get the message) and without (every node
// gets every room broadcast on the one broadcast channel).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { IpcPeer } from '../ipc.js';
import { openClients, type BenchClient } from './bench-client.js';
import type { BenchRedis } from './bench-redis.js';
import type { ClusterNodeStart } from './cluster-bench-node.js';

export interface RoomScalingOptions {
  /** Node counts, in growing order (nodes are added to the running cluster). */
  nodeCounts: number[];
  /** Members of the room, spread evenly over the nodes that hold them. */
  members: number;
  /** Room broadcasts per measurement, their payload bytes, and how many per event-loop turn. */
  messages: number;
  size: number;
  perTick: number;
}

export interface RoomScalingRow {
  nodes: number;
  /** On how many nodes the room's members sit. */
  spread: number;
  roomChannels: boolean;
  deliveriesPerCpuSecond: number;
  /** Node-CPU microseconds per broadcast, all nodes together. */
  cpuMicrosPerBroadcast: number;
}

export async function measureRoomScaling(
  redis: BenchRedis,
  options: RoomScalingOptions,
): Promise<RoomScalingRow[]> {
  const { nodeCounts, members, messages, size, perTick } = options;
  // Both clusters run side by side and are measured in alternation, so that a noisy moment of a
  // shared machine hits both alike.
  const clusters = [new GrowingCluster(redis, true), new GrowingCluster(redis, false)];
  const rows: RoomScalingRow[] = [];
  try {
    for (const count of nodeCounts) {
      await Promise.all(clusters.map((cluster) => cluster.grow(count)));
      for (const spread of [...new Set([1, 2, count])].filter((k) => k <= count)) {
        const room = `room-${count}-${spread}`;
        const joined = await Promise.all(
          clusters.map((cluster) => openClients(cluster.urls(spread, room), members)),
        );
        try {
          const runs: number[][] = [[], []];
          for (const [i, cluster] of clusters.entries()) {
            await measure(cluster.peers, joined[i], room, Math.min(500, messages), size, perTick);
          }
          for (let round = 0; round < 3; round++) {
            for (const [i, cluster] of clusters.entries()) {
              runs[i].push(await measure(cluster.peers, joined[i], room, messages, size, perTick));
            }
          }
          for (const [i, cluster] of clusters.entries()) {
            const cpu = runs[i].sort((x, y) => x - y)[1];
            rows.push({
              nodes: count,
              spread,
              roomChannels: cluster.roomChannels,
              deliveriesPerCpuSecond: (messages * members) / (cpu / 1e6),
              cpuMicrosPerBroadcast: cpu / messages,
            });
          }
        } finally {
          for (const client of joined.flat()) client.close();
        }
      }
    }
  } finally {
    await Promise.all(clusters.map((cluster) => cluster.stop()));
  }
  return rows;
}

/** A cluster of bench nodes (processes) that grows node by node. */
class GrowingCluster {
  private readonly nodes: Array<{ peer: IpcPeer; url: string }> = [];
  private readonly start: ClusterNodeStart;

  constructor(
    redis: BenchRedis,
    readonly roomChannels: boolean,
  ) {
    this.start = {
      redisUrl: redis.url,
      keyPrefix: `kws-bench-rooms-${process.pid}-${Date.now()}-${roomChannels}`,
      roomChannels,
    };
  }

  get peers(): IpcPeer[] {
    return this.nodes.map((node) => node.peer);
  }

  async grow(count: number): Promise<void> {
    while (this.nodes.length < count) {
      const peer = new IpcPeer(
        `room node ${this.nodes.length + 1}`,
        fork(new URL('./cluster-bench-node.js', import.meta.url)),
      );
      const port = await peer.call<number>('start', this.start);
      this.nodes.push({ peer, url: `ws://127.0.0.1:${port}/ws` });
    }
  }

  /** Client URLs that join `room` on the first `spread` nodes. */
  urls(spread: number, room: string): string[] {
    return this.nodes.slice(0, spread).map((node) => `${node.url}?room=${room}`);
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.nodes.map(async ({ peer }) => {
        const exited = once(peer.child, 'exit');
        await peer.call('stop').catch(() => undefined);
        await exited;
      }),
    );
  }
}

/** Node 1 broadcasts to the room; resolves with the node-CPU microseconds it took, all nodes. */
async function measure(
  nodes: IpcPeer[],
  clients: BenchClient[],
  room: string,
  messages: number,
  size: number,
  perTick: number,
): Promise<number> {
  for (const client of clients) client.received = 0;
  const before = await totalCpu(nodes);
  await nodes[0].call('broadcastRoom', { room, count: messages, size, perTick });
  const deadline = Date.now() + 60_000;
  while (!clients.every((client) => client.received >= messages)) {
    if (Date.now() > deadline) throw new Error('room fan-out did not complete within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return (await totalCpu(nodes)) - before;
}

async function totalCpu(nodes: IpcPeer[]): Promise<number> {
  const readings = await Promise.all(nodes.map((node) => node.call<number>('cpu')));
  return readings.reduce((sum, micros) => sum + micros, 0);
}

export function renderRoomScaling(rows: RoomScalingRow[], options: RoomScalingOptions): string {
  const count = (n: number): string => Math.round(n).toLocaleString('en-US');
  const spreads = (nodes: number) => [...new Set([1, 2, nodes])].filter((k) => k <= nodes);
  const lines = [
    '',
    '### Room broadcasts as nodes are added',
    '',
    `${options.members} members in one room, spread over 1 node, 2 nodes or every node; ${options.messages} room broadcasts`,
    `of ${options.size} B from node 1. Deliveries per node-CPU second, the CPU of every node counted (idle ones too),`,
    'and node-CPU µs per broadcast; the median of three runs, the two clusters measured in alternation.',
    '',
    '| nodes | room on | room channels: deliveries / node-CPU s | µs / broadcast | one channel: deliveries / node-CPU s | µs / broadcast |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const nodes of options.nodeCounts) {
    for (const spread of spreads(nodes)) {
      const on = rows.find((r) => r.nodes === nodes && r.spread === spread && r.roomChannels);
      const off = rows.find((r) => r.nodes === nodes && r.spread === spread && !r.roomChannels);
      if (!on || !off) continue;
      lines.push(
        `| ${nodes} | ${spread === nodes ? `all ${nodes}` : spread} | ${count(on.deliveriesPerCpuSecond)} | ${count(on.cpuMicrosPerBroadcast)} | ${count(off.deliveriesPerCpuSecond)} | ${count(off.cpuMicrosPerBroadcast)} |`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
