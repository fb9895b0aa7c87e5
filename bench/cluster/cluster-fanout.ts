// Broadcast fan-out: one node broadcasts, clients are split over the nodes; deliveries per wall
// second and per node-CPU second, and how many times each broadcast crossed Redis.
import { IpcPeer } from '../ipc.js';
import type { BenchSocket } from './bench-client.js';
import type { BenchRedis } from './bench-redis.js';

export interface FanoutResult {
  deliveriesPerWallSecond: number;
  deliveriesPerCpuSecond: number;
  /** Redis PUBLISH commands per broadcast (0 for the in-process broker). */
  publishesPerBroadcast: number;
}

export async function measureFanout(
  nodes: IpcPeer[],
  clients: BenchSocket[],
  redis: BenchRedis | undefined,
  messages: number,
  size: number,
  perTick: number,
): Promise<FanoutResult> {
  for (const client of clients) client.received = 0;
  const cpuBefore = await totalCpu(nodes);
  const publishesBefore = (await redis?.publishes()) ?? 0;
  const started = performance.now();
  await nodes[0].call('broadcast', { count: messages, size, perTick });
  await until(() => clients.every((client) => client.received >= messages));
  const wallSeconds = (performance.now() - started) / 1000;
  const cpuSeconds = ((await totalCpu(nodes)) - cpuBefore) / 1e6;
  const publishes = ((await redis?.publishes()) ?? 0) - publishesBefore;
  const deliveries = messages * clients.length;
  return {
    deliveriesPerWallSecond: deliveries / wallSeconds,
    deliveriesPerCpuSecond: deliveries / cpuSeconds,
    publishesPerBroadcast: publishes / messages,
  };
}

async function totalCpu(nodes: IpcPeer[]): Promise<number> {
  const readings = await Promise.all(nodes.map((node) => node.call<number>('cpu')));
  return readings.reduce((sum, micros) => sum + micros, 0);
}

async function until(done: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('fan-out did not complete within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
