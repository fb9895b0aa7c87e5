// One client floods nestjs-kws while others time their echoes: with no rate limit, and with
// `rateLimit: { messages, per: 1000 }` (drop). The figure that matters is the others' echo p99
// against the idle one, and how many of the flood's frames got through.
import { fork, type ChildProcess } from 'node:child_process';
import type { BenchOptions } from './bench-options.js';
import { IpcPeer } from './ipc.js';
import type { EchoResult } from './load/load-client.js';

/**
 * Frames per second the limited run allows each connection: far above what an echo client sends
 * (one round trip at a time, about 1 000/s at best here), far below what the flooder can.
 */
export const FLOOD_LIMIT = 5_000;
/** Frames per second the flooder sends: ten times the limit, and more than a listener wants. */
export const FLOOD_RATE = 50_000;
/** A run that has not finished by then failed (an echo dropped would otherwise wait forever). */
const RUN_TIMEOUT = 120_000;

interface FloodRun {
  label: string;
  idle: EchoResult;
  flooded: EchoResult;
  sent: number;
  echoed: number;
  seconds: number;
}

export async function runFloodCost(options: BenchOptions): Promise<string> {
  const runs: FloodRun[] = [];
  for (const limit of [undefined, FLOOD_LIMIT]) {
    const label = limit ? `\`rateLimit: { messages: ${limit}, per: 1000 }\`` : 'no rate limit';
    process.stderr.write(`bench: flood, ${label} ... `);
    runs.push({ label, ...(await withTimeout(floodRun(options, limit), RUN_TIMEOUT)) });
    process.stderr.write('done\n');
  }
  const ms = (micros: number): string => `${(micros / 1000).toFixed(2)} ms`;
  const lines = [
    '## One client flooding',
    '',
    `nestjs-kws with ${options.echoClients} clients timing echoes (${options.echoRounds} round trips each, median of`,
    `${options.rounds} runs), first idle, then while one more client (its own process) sends ${FLOOD_RATE} frames`,
    'per second throughout. "Passed on" counts the flood frames that reached the listener (it echoes',
    'them); with the limit that is the first burst plus the refill.',
    '',
    '| | echo p99 idle | echo p99 under flood | ratio | flood frames sent | passed on |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const run of runs) {
    const rate = (run.echoed / run.seconds).toFixed(0);
    lines.push(
      `| ${run.label} | ${ms(run.idle.p99)} | ${ms(run.flooded.p99)} | ` +
        `${(run.flooded.p99 / run.idle.p99).toFixed(2)}x | ${run.sent} | ${run.echoed} (${rate}/s) |`,
    );
  }
  return lines.join('\n') + '\n';
}

async function floodRun(
  options: BenchOptions,
  limit: number | undefined,
): Promise<Omit<FloodRun, 'label'>> {
  const env: Record<string, string> = limit ? { KWS_BENCH_RATE_LIMIT: String(limit) } : {};
  const server = new IpcPeer('kws (flood)', spawn('./servers/kws.server.js', env));
  const load = new IpcPeer('load client (flood)', spawn('./load/load-client.js'));
  const flooder = new IpcPeer('flooder', spawn('./load/flood-client.js'));
  try {
    const port = await server.call<number>('start');
    await load.call('connect', { port, dialect: 'raw', count: options.echoClients, window: 50 });
    const echo = (): Promise<EchoResult> =>
      load.call<EchoResult>('echo', {
        count: options.echoClients,
        rounds: options.echoRounds,
        warmup: 20,
        size: options.size,
      });
    // Latency is noisy on a shared machine: the median run of `rounds`, in each phase.
    const idle = await medianOf(options.rounds, echo);
    await flooder.call('start', { port, size: options.size, rate: FLOOD_RATE });
    const started = performance.now();
    const flooded = await medianOf(options.rounds, echo);
    const seconds = (performance.now() - started) / 1000;
    const { sent, echoed } = await flooder.call<{ sent: number; echoed: number }>('stop');
    await load.call('closeAll');
    return { idle, flooded, sent, echoed, seconds };
  } finally {
    await Promise.allSettled([server.call('stop'), load.call('exit'), flooder.call('exit')]);
  }
}

function spawn(file: string, env: Record<string, string> = {}): ChildProcess {
  return fork(new URL(file, import.meta.url), [], {
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs `run` `count` times and keeps the run with the median p99. */
async function medianOf(count: number, run: () => Promise<EchoResult>): Promise<EchoResult> {
  const results: EchoResult[] = [];
  for (let i = 0; i < count; i++) results.push(await run());
  results.sort((a, b) => a.p99 - b.p99);
  return results[Math.floor(results.length / 2)];
}
