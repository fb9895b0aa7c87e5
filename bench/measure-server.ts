// Runs every phase against one server: its own server process, its own load process, both on
// loopback, and only the server's CPU time counted for the per-CPU figures.
import { fork, type ChildProcess } from 'node:child_process';
import type { ServerName, BenchOptions } from './bench-options.js';
import { IpcPeer } from './ipc.js';
import type { DialectName } from './load/dialects.js';
import type { EchoResult } from './load/load-client.js';
import type { CpuReading, MemoryReading } from './servers/server-harness.js';
import { median } from './median.js';

export interface ServerResult {
  name: ServerName;
  /** Server-initiated broadcast, one per event-loop turn: deliveries per server-CPU second. */
  turnCpu: number;
  /** Chat at random times (one message per turn, mostly): deliveries per server-CPU second. */
  randomChatCpu: number;
  /** Server-initiated broadcast, the whole round in one turn (burst): per wall and CPU second. */
  fanoutWall: number;
  fanoutCpu: number;
  /** Client-initiated broadcast, every sender at once (burst): the same two figures. */
  chatWall: number;
  chatCpu: number;
  echo: EchoResult;
  /** Bytes per idle connection, after GC. */
  heapPerConnection: number;
  rssPerConnection: number;
  /** Heap per idle connection whose upgrade carried a browser's headers (2 KB of cookies). */
  browserHeapPerConnection: number;
  /** Connections accepted per second of wall time and per second of server CPU. */
  acceptWall: number;
  acceptCpu: number;
}

export const SERVER_FILES: Record<ServerName, string> = {
  floor: './servers/floor.server.js',
  framed: './servers/framed-ws.server.js',
  raw: './servers/raw-ws.server.js',
  kws: './servers/kws.server.js',
  nest: './servers/nest-gateway.server.js',
  socketio: './servers/socketio.server.js',
};

const DIALECTS: Record<ServerName, DialectName> = {
  floor: 'raw',
  framed: 'raw',
  raw: 'raw',
  kws: 'raw',
  nest: 'nest',
  socketio: 'socketio',
};

const WARMUP_MESSAGES = 5;

/** `env` goes to the server process only (e.g. KWS_BENCH_METRICS for the metrics-cost section). */
export async function measureServer(
  name: ServerName,
  options: BenchOptions,
  env: Record<string, string> = {},
): Promise<ServerResult> {
  // BENCH_SERVER_NODE_ARGS adds flags to the server process only, e.g. '--cpu-prof' to profile it.
  const extraArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const serverProcess = spawn(SERVER_FILES[name], ['--expose-gc', ...extraArgs], env);
  const loadProcess = spawn('./load/load-client.js', []);
  const server = new IpcPeer(name, serverProcess);
  const load = new IpcPeer(`load client (${name})`, loadProcess);
  try {
    const port = await server.call<number>('start');
    const connect = (count: number, browser = false): Promise<{ ms: number }> =>
      load.call('connect', {
        port,
        dialect: DIALECTS[name],
        count,
        window: options.window,
        browser,
      });
    const cpu = async (): Promise<number> => (await server.call<CpuReading>('cpu')).micros;

    // Idle connections: accept rate while they arrive, memory once they sit still.
    const before = await server.call<MemoryReading>('memory');
    const cpuBeforeAccept = await cpu();
    const accepted = await connect(options.idle);
    const acceptCpuMicros = (await cpu()) - cpuBeforeAccept;
    await settle();
    const after = await server.call<MemoryReading>('memory');
    await load.call('closeAll');
    // The same with what a browser sends (user agent, languages, 2 KB of cookies).
    await settle();
    const beforeBrowser = await server.call<MemoryReading>('memory');
    await connect(options.idle, true);
    await settle();
    const afterBrowser = await server.call<MemoryReading>('memory');
    await load.call('closeAll');

    // Broadcast fan-out: a warm-up round for the JIT, then the measured rounds, one broadcast
    // per event-loop turn (nothing to coalesce), then the whole round in one turn (burst).
    await connect(options.clients);
    await broadcastRound(server, load, options, WARMUP_MESSAGES, 1);
    const turns: Rate[] = [];
    const rounds: Rate[] = [];
    for (let i = 0; i < options.rounds; i++) {
      await settle();
      turns.push(await broadcastRound(server, load, options, options.messages, 1));
      await settle();
      rounds.push(await broadcastRound(server, load, options, options.messages, options.perTick));
    }
    // Chat: `messages` clients each send one message that the server broadcasts to everyone, at
    // random times over `messages x spread` ms, then all at once (burst).
    await chatRound(server, load, options, WARMUP_MESSAGES, 0);
    const randomChats: Rate[] = [];
    const chats: Rate[] = [];
    for (let i = 0; i < options.rounds; i++) {
      await settle();
      randomChats.push(
        await chatRound(server, load, options, options.messages, options.messages * options.spread),
      );
      await settle();
      chats.push(await chatRound(server, load, options, options.messages, 0));
    }
    await load.call('closeAll');

    // Echo round trips with a small set of busy clients.
    // Latency is the noisiest figure on a shared machine: the median of `rounds` runs.
    await connect(options.echoClients);
    const echoes: EchoResult[] = [];
    for (let i = 0; i < options.rounds; i++) {
      echoes.push(
        await load.call<EchoResult>('echo', {
          count: options.echoClients,
          rounds: options.echoRounds,
          warmup: 20,
          size: options.size,
        }),
      );
    }
    await load.call('closeAll');

    return {
      name,
      turnCpu: median(turns.map((round) => round.cpu)),
      randomChatCpu: median(randomChats.map((round) => round.cpu)),
      fanoutWall: median(rounds.map((round) => round.wall)),
      fanoutCpu: median(rounds.map((round) => round.cpu)),
      chatWall: median(chats.map((round) => round.wall)),
      chatCpu: median(chats.map((round) => round.cpu)),
      echo: {
        count: echoes.reduce((sum, run) => sum + run.count, 0),
        p50: median(echoes.map((run) => run.p50)),
        p99: median(echoes.map((run) => run.p99)),
        max: Math.max(...echoes.map((run) => run.max)),
      },
      heapPerConnection: (after.heapUsed - before.heapUsed) / options.idle,
      rssPerConnection: (after.rss - before.rss) / options.idle,
      browserHeapPerConnection: (afterBrowser.heapUsed - beforeBrowser.heapUsed) / options.idle,
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

/** Deliveries per wall second and per server-CPU second. */
interface Rate {
  wall: number;
  cpu: number;
}

/** The server broadcasts `messages` messages on its own. */
function broadcastRound(
  server: IpcPeer,
  load: IpcPeer,
  options: BenchOptions,
  messages: number,
  perTick: number,
): Promise<Rate> {
  return timeDeliveries(server, load, options.clients * messages, () =>
    server.call('broadcast', { count: messages, size: options.size, perTick }),
  );
}

/** `messages` clients each send one message at once; the server broadcasts each to everyone. */
function chatRound(
  server: IpcPeer,
  load: IpcPeer,
  options: BenchOptions,
  messages: number,
  spreadMs: number,
): Promise<Rate> {
  return timeDeliveries(server, load, options.clients * messages, () =>
    load.call('chat', { senders: messages, size: options.size, spreadMs }),
  );
}

async function timeDeliveries(
  server: IpcPeer,
  load: IpcPeer,
  deliveries: number,
  trigger: () => Promise<unknown>,
): Promise<Rate> {
  await load.call('arm', { total: deliveries });
  const delivered = load.call('delivered', { timeoutMs: 60_000 });
  const cpuBefore = (await server.call<CpuReading>('cpu')).micros;
  const started = performance.now();
  await trigger();
  await delivered;
  const wallMs = performance.now() - started;
  const cpuMicros = (await server.call<CpuReading>('cpu')).micros - cpuBefore;
  return { wall: deliveries / (wallMs / 1000), cpu: deliveries / (cpuMicros / 1e6) };
}

export function spawn(
  file: string,
  execArgv: string[],
  env: Record<string, string> = {},
): ChildProcess {
  return fork(new URL(file, import.meta.url), [], {
    execArgv,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
}

export function exited(child: ChildProcess): Promise<void> {
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
