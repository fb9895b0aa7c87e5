// Named events: request/ack round trips per server-CPU second and their latency, nestjs-kws
// (`parser: 'json'`, an `@OnKwsEvent` listener whose return value is the ack) against socket.io's
// emitWithAck and a Nest platform-ws gateway (whose handler's returned WsResponse is the answer),
// plus nestjs-kws with Nest's pipeline on the listener (a guard and a ValidationPipe on a DTO).
// Variants alternate pass after pass, so drift on a shared machine hits them all alike.
import type { BenchOptions, ServerName } from './bench-options.js';
import { IpcPeer } from './ipc.js';
import type { DialectName } from './load/dialects.js';
import type { EchoResult } from './load/load-client.js';
import { exited, SERVER_FILES, spawn } from './measure-server.js';
import { median } from './median.js';
import type { CpuReading } from './servers/server-harness.js';

export interface Variant {
  label: string;
  server: ServerName;
  dialect: DialectName;
  env: Record<string, string>;
}

const VARIANTS: Variant[] = [
  {
    label: 'nestjs-kws, plain listener',
    server: 'kws',
    dialect: 'kws-events',
    env: { KWS_BENCH_EVENTS: 'plain' },
  },
  {
    label: 'nestjs-kws, guard + ValidationPipe',
    server: 'kws',
    dialect: 'kws-events',
    env: { KWS_BENCH_EVENTS: 'pipeline' },
  },
  { label: 'Nest gateway (platform-ws)', server: 'nest', dialect: 'nest', env: {} },
  { label: 'socket.io emitWithAck', server: 'socketio', dialect: 'socketio', env: {} },
  {
    label: 'raw `ws`, hand-written JSON ack',
    server: 'raw',
    dialect: 'kws-events',
    env: { RAW_WS_JSON_ACK: '1' },
  },
];

export interface RpcFigures {
  perCpu: number;
  p50: number;
  p99: number;
}

export interface RpcResult {
  /** variant label -> client count -> one reading per pass */
  readings: Map<string, Map<number, RpcFigures[]>>;
}

export async function measureRpc(options: BenchOptions): Promise<RpcResult> {
  return { readings: await measureVariants(VARIANTS, options, options.rpcPasses) };
}

/**
 * Measures each variant at each client count, variant after variant, pass after pass (drift on a
 * shared machine then hits them alike): variant label -> client count -> one reading per pass.
 */
export async function measureVariants(
  variants: Variant[],
  options: BenchOptions,
  passes: number,
): Promise<Map<string, Map<number, RpcFigures[]>>> {
  const readings = new Map<string, Map<number, RpcFigures[]>>();
  for (let pass = 0; pass < passes; pass++) {
    for (const variant of variants) {
      process.stderr.write(`bench: ${variant.label} (pass ${pass + 1}/${passes}) ... `);
      const byClients = readings.get(variant.label) ?? new Map<number, RpcFigures[]>();
      readings.set(variant.label, byClients);
      for (const [clients, figures] of await measureVariant(variant, options)) {
        byClients.set(clients, [...(byClients.get(clients) ?? []), figures]);
      }
      process.stderr.write('done\n');
    }
  }
  return readings;
}

export async function measureVariant(
  variant: Variant,
  options: BenchOptions,
): Promise<Array<[number, RpcFigures]>> {
  // BENCH_SERVER_NODE_ARGS: as in measureServer (e.g. '--cpu-prof' to profile the server).
  const extraArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const serverProcess = spawn(
    SERVER_FILES[variant.server],
    ['--expose-gc', ...extraArgs],
    variant.env,
  );
  const loadProcess = spawn('./load/load-client.js', []);
  const server = new IpcPeer(variant.label, serverProcess);
  const load = new IpcPeer(`load client (${variant.label})`, loadProcess);
  const cpu = async (): Promise<number> => (await server.call<CpuReading>('cpu')).micros;
  const out: Array<[number, RpcFigures]> = [];
  try {
    const port = await server.call<number>('start');
    let connected = 0;
    // Client counts in increasing order, growing the same set of clients.
    for (const clients of [...options.rpcClients].sort((a, b) => a - b)) {
      await load.call('connect', {
        port,
        dialect: variant.dialect,
        count: clients - connected,
        window: options.window,
      });
      connected = clients;
      const before = await cpu();
      const run = await load.call<EchoResult & { ms: number }>('rpc', {
        count: clients,
        rounds: options.rpcRounds,
        warmup: 5,
        size: options.size,
      });
      const micros = (await cpu()) - before;
      out.push([clients, { perCpu: run.count / (micros / 1e6), p50: run.p50, p99: run.p99 }]);
    }
    await load.call('closeAll');
    return out;
  } finally {
    await Promise.allSettled([
      server.call('stop'),
      load.call('exit'),
      exited(serverProcess),
      exited(loadProcess),
    ]);
  }
}

/** The markdown section: one row per variant and client count, ratios against socket.io. */
export function renderRpc(result: RpcResult, options: BenchOptions): string[] {
  const lines = [
    '## Named events: request/ack round trips',
    '',
    `Each client keeps one request in flight: ${options.rpcRounds} round trips per client after 5 warm-up`,
    `ones, payload ${options.size} B. Variants alternate; median of ${options.rpcPasses} pass(es). The`,
    "guard + ValidationPipe row is the same nestjs-kws listener run through Nest's pipeline: the",
    'difference between the first two rows is what the pipeline costs. The gateway has no ids: its',
    'returned `WsResponse` stands for the ack. The raw `ws` row answers the same packets by hand',
    '(`JSON.parse` in, `JSON.stringify({ ack, data })` out, no routing, no listener): the most any',
    'library on `ws` can reach.',
    '',
    '| variant | clients | round trips / server-CPU s | vs socket.io | vs Nest gateway | p50 | p99 |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const medianOf = (label: string, clients: number, key: keyof RpcFigures): number =>
    median((result.readings.get(label)?.get(clients) ?? []).map((r) => r[key]));
  for (const clients of options.rpcClients) {
    const io = medianOf('socket.io emitWithAck', clients, 'perCpu');
    const nest = medianOf('Nest gateway (platform-ws)', clients, 'perCpu');
    for (const variant of VARIANTS) {
      const perCpu = medianOf(variant.label, clients, 'perCpu');
      lines.push(
        `| ${variant.label} | ${clients} | ${(perCpu / 1000).toFixed(1)}k | ${(perCpu / io).toFixed(2)}x | ` +
          `${(perCpu / nest).toFixed(2)}x | ${micros(medianOf(variant.label, clients, 'p50'))} | ` +
          `${micros(medianOf(variant.label, clients, 'p99'))} |`,
      );
    }
  }
  return lines;
}

/**
 * The plain listener's round trips per CPU second against socket.io and the gateway (targets),
 * and raw `ws` answering by hand: against socket.io (the ceiling), and nestjs-kws' share of it.
 */
export function rpcRatios(
  result: RpcResult,
  clients: number,
): { io: number; nest: number; pipeline: number; rawVsIo: number; ofRaw: number } {
  const at = (label: string): number =>
    median((result.readings.get(label)?.get(clients) ?? []).map((r) => r.perCpu));
  const kws = at('nestjs-kws, plain listener');
  const raw = at('raw `ws`, hand-written JSON ack');
  return {
    io: kws / at('socket.io emitWithAck'),
    nest: kws / at('Nest gateway (platform-ws)'),
    pipeline: at('nestjs-kws, guard + ValidationPipe') / kws,
    rawVsIo: raw / at('socket.io emitWithAck'),
    ofRaw: kws / raw,
  };
}

function micros(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} ms` : `${value.toFixed(0)} µs`;
}
