// The cluster benchmark: cross-node broadcast fan-out (2 nodes, clients split) and cross-node
// emitTo latency, beside a lone node with the in-process broker; renders a markdown section.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { cpus } from 'node:os';
import { IpcPeer } from '../ipc.js';
import { openClients } from './bench-client.js';
import { startBenchRedis, type BenchRedis } from './bench-redis.js';
import type { ClusterNodeStart } from './cluster-bench-node.js';
import { measureFanout, type FanoutResult } from './cluster-fanout.js';
import { measureEmitLatency, type LatencyResult } from './emit-latency.js';
import { measureScriptCosts, type ScriptCost } from './script-cost.js';
import { measureRoomScaling, renderRoomScaling, type RoomScalingOptions } from './room-scaling.js';
import { measureRecoveryCost, renderRecoveryCost } from './recovery-cost.js';
import { measureSideBySide, renderSideBySide } from './side-by-side.js';

export interface ClusterBenchOptions {
  /** Clients, split evenly over the nodes. */
  clients: number;
  /** Broadcasts per fan-out round, their payload bytes, and how many go out per event-loop turn. */
  messages: number;
  size: number;
  perTick: number;
  /** Sequential emitTo messages timed for the latency figures. */
  samples: number;
}

export const DEFAULT_CLUSTER_BENCH: ClusterBenchOptions = {
  clients: 1000,
  messages: 200,
  size: 64,
  perTick: 10,
  samples: 2000,
};

interface Scenario {
  label: string;
  fanout: FanoutResult;
  latency: Array<{ label: string; result: LatencyResult }>;
}

async function startNodes(count: number, redis: BenchRedis | undefined): Promise<IpcPeer[]> {
  const keyPrefix = `kws-bench-${process.pid}-${Date.now()}`;
  const nodes = Array.from(
    { length: count },
    (_, i) =>
      new IpcPeer(`node ${i + 1}`, fork(new URL('./cluster-bench-node.js', import.meta.url))),
  );
  const start: ClusterNodeStart = { redisUrl: redis?.url ?? '', keyPrefix };
  const ports = await Promise.all(nodes.map((node) => node.call<number>('start', start)));
  return Object.assign(nodes, { ports });
}

async function stopNodes(nodes: IpcPeer[]): Promise<void> {
  await Promise.all(
    nodes.map(async (node) => {
      const exited = once(node.child, 'exit');
      await node.call('stop').catch(() => undefined);
      await exited;
    }),
  );
}

async function runScenario(
  { clients: clientCount, messages, size, perTick, samples }: ClusterBenchOptions,
  label: string,
  nodeCount: number,
  redis: BenchRedis | undefined,
): Promise<Scenario> {
  process.stderr.write(`bench:cluster: ${label} ... `);
  const nodes = (await startNodes(nodeCount, redis)) as IpcPeer[] & { ports: number[] };
  const urls = nodes.ports.map((port) => `ws://127.0.0.1:${port}/ws`);
  const clients = await openClients(urls, clientCount);
  try {
    await measureFanout(nodes, clients, redis, 10, size, perTick); // warm-up
    const fanout = await measureFanout(nodes, clients, redis, messages, size, perTick);
    // Clients alternate over the nodes: clients[0] and [2] share node 1, [1] is on node 2.
    const latency = [
      { label: 'same node', result: await measureEmitLatency(clients[0], clients[2], samples) },
    ];
    if (nodeCount > 1) {
      latency.push({
        label: 'cross node',
        result: await measureEmitLatency(clients[0], clients[1], samples),
      });
    }
    process.stderr.write('done\n');
    return { label, fanout, latency };
  } finally {
    for (const client of clients) client.close();
    await stopNodes(nodes);
  }
}

/** Runs both scenarios and returns the markdown section (a "## Cluster mode" heading and a table). */
export async function runClusterBench(options: ClusterBenchOptions): Promise<string> {
  const redis = await startBenchRedis();
  try {
    const scenarios = [
      await runScenario(options, '1 node, in-process broker', 1, undefined),
      await runScenario(options, '2 nodes, Redis cluster mode', 2, redis),
    ];
    // Sized by the run: the smoke run stays tiny, a real run shows 10k and 100k uuids.
    const sizes = options.clients >= 1000 ? [10_000, 100_000] : [1_000];
    process.stderr.write('bench:cluster: directory script cost ... ');
    const costs = await measureScriptCosts(redis.url, sizes);
    process.stderr.write('done\n');
    const rooms = roomScalingOptions(options);
    process.stderr.write(
      `bench:cluster: room broadcasts on ${rooms.nodeCounts.join(', ')} nodes ... `,
    );
    const scaling = await measureRoomScaling(redis, rooms);
    process.stderr.write('done\n');
    process.stderr.write('bench:cluster: connection-state recovery off/on ... ');
    const recovery = await measureRecoveryCost(redis, options);
    process.stderr.write('done\n');
    const sideBySide = await measureSideBySide(redis, options, options.clients >= 500);
    return (
      render(options, scenarios) +
      renderSideBySide(sideBySide, options) +
      renderRoomScaling(scaling, rooms) +
      renderRecoveryCost(recovery, options) +
      renderScriptCosts(costs)
    );
  } finally {
    await redis.stop();
  }
}

function render(
  { clients: clientCount, messages, size, perTick, samples }: ClusterBenchOptions,
  scenarios: Scenario[],
): string {
  const count = (n: number): string => Math.round(n).toLocaleString('en-US');
  const micros = (n: number): string => `${Math.round(n).toLocaleString('en-US')} µs`;
  const lines = [
    '## Cluster mode',
    '',
    `${clientCount} clients (split evenly over the nodes), ${messages} broadcasts of ${size} B from node 1,`,
    `${perTick} per event-loop turn; emitTo latency over ${samples} sequential messages, client to client.`,
    `Nodes, Redis and clients share one machine (${cpus().length} cores), Node ${process.version}.`,
    '',
    '| setup | broadcast deliveries / wall s | deliveries / node-CPU s | Redis PUBLISH per broadcast | emitTo | p50 | p99 |',
    '| --- | ---: | ---: | ---: | --- | ---: | ---: |',
  ];
  for (const { label, fanout, latency } of scenarios) {
    latency.forEach((row, i) => {
      const head =
        i === 0
          ? [
              label,
              count(fanout.deliveriesPerWallSecond),
              count(fanout.deliveriesPerCpuSecond),
              fanout.publishesPerBroadcast.toFixed(2),
            ]
          : ['', '', '', ''];
      lines.push(
        `| ${[...head, row.label, micros(row.result.p50), micros(row.result.p99)].join(' | ')} |`,
      );
    });
  }
  return `${lines.join('\n')}\n`;
}

/** Sized by the run's flags: a real run grows to 6 nodes, the smoke run stays at 2. */
function roomScalingOptions(options: ClusterBenchOptions): RoomScalingOptions {
  return {
    nodeCounts: options.clients >= 1000 ? [2, 4, 6] : [2],
    members: Math.min(60, options.clients),
    messages: options.messages * 10,
    size: options.size,
    perTick: options.perTick,
  };
}

function renderScriptCosts(costs: ScriptCost[]): string {
  const count = (n: number): string => Math.round(n).toLocaleString('en-US');
  const lines = [
    '',
    '### Directory scripts: Redis time per call',
    '',
    "Measured with Redis' SLOWLOG (every call logged with its duration). The longest single call",
    'is what blocks every other client of that Redis.',
    '',
    '| operation | uuids | script calls | longest call | total |',
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  for (const cost of costs) {
    lines.push(
      `| ${cost.operation} | ${count(cost.uuids)} | ${count(cost.calls)} | ${count(cost.maxMicros)} µs | ${count(cost.totalMicros / 1000)} ms |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
