// Runs every phase against one server: its own server process, its own load process, both on
// loopback, and only the server's CPU time counted for the per-CPU figures.
import { fork, type ChildProcess } from 'node:child_process';
import type { ServerName, BenchOptions } from './bench-options.js';
import { IpcPeer } from './ipc.js';
import type { DialectName } from './load/dialects.js';
import type { EchoResult } from './load/load-client.js';
import type { CpuReading, MemoryReading } from './servers/server-harness.js';

export interface ServerResult {
  name: ServerName;
  /** Deliveries per second of wall time and per second of server CPU (median round). */
  fanoutWall: number;
  fanoutCpu: number;
  echo: EchoResult;
  /** Bytes per idle connection, after GC. */
  heapPerConnection: number;
  rssPerConnection: number;
  /** Connections accepted per second of wall time and per second of server CPU. */
  acceptWall: number;
  acceptCpu: number;
}

const SERVER_FILES: Record<ServerName, string> = {
  raw: './servers/raw-ws.server.js',
  kws: './servers/kws.server.js',
  nest: './servers/nest-gateway.server.js',
  socketio: './servers/socketio.server.js',
};

const DIALECTS: Record<ServerName, DialectName> = {
  raw: 'raw',
  kws: 'raw',
  nest: 'nest',
  socketio: 'socketio',
};

const WARMUP_MESSAGES = 5;

export async function measureServer(
  name: ServerName,
  options: BenchOptions,
): Promise<ServerResult> {
  const serverProcess = spawn(SERVER_FILES[name], ['--expose-gc']);
  const loadProcess = spawn('./load/load-client.js', []);
  const server = new IpcPeer(name, serverProcess);
  const load = new IpcPeer(`load client (${name})`, loadProcess);
  try {
    const port = await server.call<number>('start');
    const connect = (count: number): Promise<{ ms: number }> =>
      load.call('connect', { port, dialect: DIALECTS[name], count, window: options.window });
    const cpu = async (): Promise<number> => (await server.call<CpuReading>('cpu')).micros;

    // Idle connections: accept rate while they arrive, memory once they sit still.
    const before = await server.call<MemoryReading>('memory');
    const cpuBeforeAccept = await cpu();
    const accepted = await connect(options.idle);
    const acceptCpuMicros = (await cpu()) - cpuBeforeAccept;
    await settle();
    const after = await server.call<MemoryReading>('memory');
    await load.call('closeAll');

    // Broadcast fan-out: a warm-up round for the JIT, then the measured rounds.
    await connect(options.clients);
    await broadcastRound(server, load, options, WARMUP_MESSAGES);
    const rounds: Array<{ wall: number; cpu: number }> = [];
    for (let i = 0; i < options.rounds; i++) {
      await settle();
      rounds.push(await broadcastRound(server, load, options, options.messages));
    }
    await load.call('closeAll');

    // Echo round trips with a small set of busy clients.
    await connect(options.echoClients);
    const echo = await load.call<EchoResult>('echo', {
      count: options.echoClients,
      rounds: options.echoRounds,
      warmup: 20,
      size: options.size,
    });
    await load.call('closeAll');

    return {
      name,
      fanoutWall: median(rounds.map((round) => round.wall)),
      fanoutCpu: median(rounds.map((round) => round.cpu)),
      echo,
      heapPerConnection: (after.heapUsed - before.heapUsed) / options.idle,
      rssPerConnection: (after.rss - before.rss) / options.idle,
      acceptWall: options.idle / (accepted.ms / 1000),
      acceptCpu: options.idle / (acceptCpuMicros / 1e6),
    };
  } finally {
    await Promise.allSettled([
      server.call('stop'),
      load.call('exit'),
      exited(serverProcess),
      exited(loadProcess),
    ]);
  }
}

/** One broadcast burst; returns deliveries per wall second and per server-CPU second. */
async function broadcastRound(
  server: IpcPeer,
  load: IpcPeer,
  options: BenchOptions,
  messages: number,
): Promise<{ wall: number; cpu: number }> {
  const deliveries = options.clients * messages;
  await load.call('arm', { total: deliveries });
  const delivered = load.call('delivered', { timeoutMs: 60_000 });
  const cpuBefore = (await server.call<CpuReading>('cpu')).micros;
  const started = performance.now();
  await server.call('broadcast', { count: messages, size: options.size, perTick: options.perTick });
  await delivered;
  const wallMs = performance.now() - started;
  const cpuMicros = (await server.call<CpuReading>('cpu')).micros - cpuBefore;
  return { wall: deliveries / (wallMs / 1000), cpu: deliveries / (cpuMicros / 1e6) };
}

function spawn(file: string, execArgv: string[]): ChildProcess {
  return fork(new URL(file, import.meta.url), [], { execArgv, stdio: 'inherit' });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Lets closes, GC and sockets in TIME_WAIT settle between phases. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 200));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
