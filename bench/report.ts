// Turns the results into the markdown table of docs/benchmarks.md: one column per server, each
// figure with its ratio to raw `ws`, then the issue's targets with met / missed-by.
import { cpus, totalmem, type as osType, release } from 'node:os';
import type { BenchOptions, ServerName } from './bench-options.js';
import type { ServerResult } from './measure-server.js';

const LABELS: Record<ServerName, string> = {
  raw: 'raw `ws`',
  kws: 'nestjs-kws',
  nest: 'Nest gateway (platform-ws)',
  socketio: 'socket.io (websocket)',
};

interface Figure {
  label: string;
  value: (result: ServerResult) => number;
  format: (value: number) => string;
  /** Whether a smaller number is better (latency, memory). */
  lowerIsBetter?: boolean;
}

const FIGURES: Figure[] = [
  { label: 'broadcast deliveries / server-CPU s', value: (r) => r.fanoutCpu, format: count },
  { label: 'broadcast deliveries / wall s', value: (r) => r.fanoutWall, format: count },
  { label: 'chat deliveries / server-CPU s', value: (r) => r.chatCpu, format: count },
  { label: 'chat deliveries / wall s', value: (r) => r.chatWall, format: count },
  { label: 'echo p50', value: (r) => r.echo.p50, format: micros, lowerIsBetter: true },
  { label: 'echo p99', value: (r) => r.echo.p99, format: micros, lowerIsBetter: true },
  {
    label: 'heap / idle connection',
    value: (r) => r.heapPerConnection,
    format: bytes,
    lowerIsBetter: true,
  },
  {
    label: 'RSS / idle connection',
    value: (r) => r.rssPerConnection,
    format: bytes,
    lowerIsBetter: true,
  },
  { label: 'connections accepted / wall s', value: (r) => r.acceptWall, format: count },
  { label: 'connections accepted / server-CPU s', value: (r) => r.acceptCpu, format: count },
];

export function renderReport(
  options: BenchOptions,
  results: ServerResult[],
  failures: string[],
): string {
  const raw = results.find((result) => result.name === 'raw');
  const lines = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (bench/run.ts); every server runs in its own process on loopback,',
    'load comes from one separate process of raw `ws` clients. Ratios are against raw `ws`',
    '(for latency and memory, below 1.00x is better).',
    '',
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${gib(totalmem())} RAM, ${osType()} ${release()}`,
    `- Node ${process.version}`,
    `- Fan-out: ${options.clients} clients x ${options.messages} messages of ${options.size} B, ` +
      `${options.perTick === options.messages ? 'each round in one burst' : `${options.perTick} per event-loop turn`}, ` +
      `median of ${options.rounds} rounds`,
    `- Chat: the same clients; ${options.messages} of them send one message each at once, and the ` +
      'server broadcasts each to everyone (the sender included)',
    `- Echo: ${options.echoClients} clients x ${options.echoRounds} round trips, one in flight per ` +
      `client; median of ${options.rounds} runs`,
    `- Idle: ${options.idle} connections, ${options.window} handshakes in flight; memory after GC`,
    '',
    `| figure | ${results.map((result) => LABELS[result.name]).join(' | ')} |`,
    `| --- | ${results.map(() => '---:').join(' | ')} |`,
  ];
  for (const figure of FIGURES) {
    const cells = results.map((result) => {
      const value = figure.value(result);
      const ratio = raw ? ` (${(value / figure.value(raw)).toFixed(2)}x)` : '';
      return figure.format(value) + ratio;
    });
    lines.push(`| ${figure.label} | ${cells.join(' | ')} |`);
  }
  lines.push('', ...renderTargets(results), '', ...NOTES);
  if (failures.length)
    lines.push('', '## Failed runs', '', ...failures.map((failure) => `- ${failure}`));
  return lines.join('\n') + '\n';
}

/** The targets of the performance issue, each met or missed by how much. */
function renderTargets(results: ServerResult[]): string[] {
  const by = (name: ServerName): ServerResult | undefined => results.find((r) => r.name === name);
  const kws = by('kws');
  const raw = by('raw');
  const io = by('socketio');
  const nest = by('nest');
  if (!kws) return [];
  const lines = ['## Targets', '', '| target | measured | verdict |', '| --- | --- | --- |'];
  const atLeast = (label: string, ratio: number, goal: number): void => {
    const verdict = ratio >= goal ? 'met' : `missed by ${((1 - ratio / goal) * 100).toFixed(0)}%`;
    lines.push(`| ${label} | ${ratio.toFixed(2)}x | ${verdict} |`);
  };
  const atMost = (label: string, measured: string, ok: boolean, miss: string): void => {
    lines.push(`| ${label} | ${measured} | ${ok ? 'met' : `missed by ${miss}`} |`);
  };
  if (raw) atLeast('fan-out per server-CPU s >= 1.5x raw `ws`', kws.fanoutCpu / raw.fanoutCpu, 1.5);
  if (io) atLeast('fan-out per server-CPU s >= 2x socket.io', kws.fanoutCpu / io.fanoutCpu, 2);
  if (raw) {
    const limit = raw.heapPerConnection + 1024;
    atMost(
      'idle heap <= raw `ws` + 1 KB',
      `${bytes(kws.heapPerConnection)} (limit ${bytes(limit)})`,
      kws.heapPerConnection <= limit,
      bytes(kws.heapPerConnection - limit),
    );
  }
  if (nest) {
    const share = kws.heapPerConnection / nest.heapPerConnection;
    atMost(
      'idle heap < 40% of the Nest gateway',
      `${(share * 100).toFixed(0)}%`,
      share < 0.4,
      `${((share - 0.4) * 100).toFixed(0)} points`,
    );
  }
  if (raw) {
    const ratio = kws.echo.p99 / raw.echo.p99;
    atMost(
      'echo p99 <= 1.2x raw `ws`',
      `${ratio.toFixed(2)}x`,
      ratio <= 1.2,
      `${((ratio / 1.2 - 1) * 100).toFixed(0)}%`,
    );
  }
  return lines;
}

const NOTES = [
  '## Reading the figures',
  '',
  '- Per server-CPU second is the stable figure: the server process reads `process.cpuUsage()`',
  '  before and after, so the load client sharing the two cores does not count. Wall-time figures',
  '  are bounded by the load client and move with whatever else the machine runs.',
  '- Broadcast: the server sends the whole round in one event-loop turn (`--per-tick` spreads it).',
  '  Chat: clients send at once and the server broadcasts each message it receives.',
  '- Why nestjs-kws is far ahead on both: a message is framed once for all recipients',
  '  (`KwsOutbound`), and writes to a socket are corked until the end of the event-loop turn',
  '  (`KwsFrameWriter`), so 50 messages to one client leave in one syscall instead of 50. The',
  '  others pay one `send` (frame + write syscall) per message per recipient.',
  '- When a turn carries a single message (one broadcast per turn, a quiet room) nothing can be',
  '  coalesced: the gain is then framing once, about 1.1-1.2x raw `ws` per CPU second, since the',
  '  per-recipient write syscall is most of the cost. Try `--per-tick 1`.',
  '- Echo latency includes the load client, which runs 100 sockets on the same two cores; its',
  '  p99 moves by a few tens of percent between runs for every server.',
  '- Idle memory: heap and RSS deltas after GC over the idle connections, divided by their count.',
];

function count(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value >= 10_000 ? `${(value / 1000).toFixed(1)}k` : value.toFixed(0);
}

function micros(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} ms` : `${value.toFixed(0)} µs`;
}

function bytes(value: number): string {
  return Math.abs(value) >= 1024 ? `${(value / 1024).toFixed(1)} KB` : `${value.toFixed(0)} B`;
}

function gib(value: number): string {
  return `${(value / 1024 ** 3).toFixed(1)} GiB`;
}
