// The cost of connection-state recovery in cluster mode: the same named-event broadcasts on
// 2 nodes with recovery off and on; deliveries per wall and node-CPU second, and the Redis
// commands each broadcast costs (from Redis' INFO commandstats; commands run by a script are
// counted there too, so a script that publishes shows one EVALSHA and one PUBLISH).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { IpcPeer } from '../ipc.js';
import { openClients, type BenchClient } from './bench-client.js';
import type { BenchRedis } from './bench-redis.js';
import type { ClusterNodeStart } from './cluster-bench-node.js';

export interface RecoveryCostOptions {
  clients: number;
  messages: number;
  size: number;
  perTick: number;
}

export interface RecoveryCostRow {
  recovery: boolean;
  deliveriesPerWallSecond: number;
  deliveriesPerCpuSecond: number;
  /** Calls per broadcast of the commands a broadcast can cause. */
  perBroadcast: Record<string, number>;
}

const COMMANDS = ['evalsha', 'eval', 'publish', 'xadd', 'xread'];

export async function measureRecoveryCost(
  redis: BenchRedis,
  options: RecoveryCostOptions,
): Promise<RecoveryCostRow[]> {
  const rows: RecoveryCostRow[] = [];
  const stats = new Redis(redis.url);
  try {
    for (const recovery of [false, true]) rows.push(await measure(redis, stats, options, recovery));
  } finally {
    stats.disconnect();
  }
  return rows;
}

async function measure(
  redis: BenchRedis,
  stats: Redis,
  { clients: count, messages, size, perTick }: RecoveryCostOptions,
  recovery: boolean,
): Promise<RecoveryCostRow> {
  const keyPrefix = `kws-bench-recovery-${recovery}-${Date.now()}`;
  const nodes = [1, 2].map(
    (i) => new IpcPeer(`node ${i}`, fork(new URL('./cluster-bench-node.js', import.meta.url))),
  );
  const start: ClusterNodeStart = { redisUrl: redis.url, keyPrefix, recovery };
  const ports = await Promise.all(nodes.map((node) => node.call<number>('start', start)));
  const clients = await openClients(
    ports.map((port) => `ws://127.0.0.1:${port}/ws`),
    count,
  );
  try {
    await round(nodes, clients, 10, size, perTick); // warm-up
    const before = await commandCalls(stats);
    const cpuBefore = await totalCpu(nodes);
    const started = performance.now();
    await round(nodes, clients, messages, size, perTick);
    const wallSeconds = (performance.now() - started) / 1000;
    const cpuSeconds = ((await totalCpu(nodes)) - cpuBefore) / 1e6;
    const after = await commandCalls(stats);
    const deliveries = messages * clients.length;
    const perBroadcast: Record<string, number> = {};
    for (const command of COMMANDS) {
      perBroadcast[command] = ((after[command] ?? 0) - (before[command] ?? 0)) / messages;
    }
    return {
      recovery,
      deliveriesPerWallSecond: deliveries / wallSeconds,
      deliveriesPerCpuSecond: deliveries / cpuSeconds,
      perBroadcast,
    };
  } finally {
    for (const client of clients) client.close();
    await Promise.all(
      nodes.map(async (node) => {
        const exited = once(node.child, 'exit');
        await node.call('stop').catch(() => undefined);
        await exited;
      }),
    );
  }
}

async function round(
  nodes: IpcPeer[],
  clients: BenchClient[],
  messages: number,
  size: number,
  perTick: number,
): Promise<void> {
  for (const client of clients) client.received = 0;
  await nodes[0].call('broadcastEvent', { count: messages, size, perTick });
  const deadline = Date.now() + 60_000;
  while (!clients.every((client) => client.received >= messages)) {
    if (Date.now() > deadline) throw new Error('recovery bench: broadcasts did not all arrive');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

async function commandCalls(stats: Redis): Promise<Record<string, number>> {
  const info = await stats.info('commandstats');
  const calls: Record<string, number> = {};
  for (const [, name, value] of info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)) {
    calls[name] = Number(value);
  }
  return calls;
}

async function totalCpu(nodes: IpcPeer[]): Promise<number> {
  const readings = await Promise.all(nodes.map((node) => node.call<number>('cpu')));
  return readings.reduce((sum, micros) => sum + micros, 0);
}

/** The markdown section of the cluster benchmark. */
export function renderRecoveryCost(rows: RecoveryCostRow[], options: RecoveryCostOptions): string {
  const count = (n: number): string => Math.round(n).toLocaleString('en-US');
  const per = (n: number): string => n.toFixed(2);
  const lines = [
    '',
    '### Connection-state recovery',
    '',
    `2 nodes, ${options.clients} clients split over them, ${options.messages} named-event broadcasts`,
    `of ${options.size} B from node 1 (${options.perTick} per turn). Redis calls per broadcast from`,
    "INFO commandstats (a script's inner commands count too; XREAD: the nodes' blocking reads of",
    'the recovery log, one per batch of entries).',
    '',
    '| recovery | deliveries / wall s | deliveries / node-CPU s | EVALSHA | PUBLISH | XADD | XREAD |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of rows) {
    const b = row.perBroadcast;
    lines.push(
      `| ${row.recovery ? 'on' : 'off'} | ${count(row.deliveriesPerWallSecond)} | ${count(row.deliveriesPerCpuSecond)} | ${per(b.evalsha + b.eval)} | ${per(b.publish)} | ${per(b.xadd)} | ${per(b.xread)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
