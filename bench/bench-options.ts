// The sizes of a run, all settable as flags: `npm run bench -- --clients 500 --messages 20`.
import { parseArgs } from 'node:util';

export const SERVER_NAMES = ['floor', 'framed', 'raw', 'kws', 'nest', 'socketio'] as const;
export type ServerName = (typeof SERVER_NAMES)[number];

export interface BenchOptions {
  servers: ServerName[];
  /** Fan-out: connected clients, messages broadcast per round, payload bytes. */
  clients: number;
  messages: number;
  size: number;
  /** Messages broadcast per event-loop turn in the burst figure (default: the whole round). */
  perTick: number;
  /** Random-time chat: on average one message per this many ms. */
  spread: number;
  /** Measured rounds of each kind per pass. */
  rounds: number;
  /** Passes over every server, interleaved (server after server, pass after pass); medians reported. */
  passes: number;
  /** Named-events request/ack section: client counts, round trips per client, passes (0 skips). */
  rpcClients: number[];
  rpcRounds: number;
  rpcPasses: number;
  echoClients: number;
  echoRounds: number;
  /** Idle connections for the memory and accept-rate figures. */
  idle: number;
  /** Handshakes in flight while connecting. */
  window: number;
  /** Markdown report path; '' to skip writing. */
  out: string;
  /** Also run the cluster benchmark (bench/cluster, needs redis-server); `--skip-cluster` turns it off. */
  cluster: boolean;
  /** Passes of the metrics-cost section (nestjs-kws with metrics off / on / Prometheus); 0 skips it. */
  metricsPasses: number;
  /** Run the flood section (one client flooding, with and without rateLimit); `--skip-flood`. */
  flood: boolean;
  /** Passes of the tracing-cost section (request/ack round trips, tracing off / on); 0 skips it. */
  tracingPasses: number;
}

export function parseBenchOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      servers: { type: 'string', default: SERVER_NAMES.join(',') },
      clients: { type: 'string', default: '2000' },
      messages: { type: 'string', default: '50' },
      size: { type: 'string', default: '64' },
      'per-tick': { type: 'string' },
      rounds: { type: 'string', default: '1' },
      passes: { type: 'string', default: '3' },
      spread: { type: 'string', default: '60' },
      'rpc-clients': { type: 'string', default: '100,1000' },
      'rpc-rounds': { type: 'string', default: '100' },
      'rpc-passes': { type: 'string', default: '3' },
      'echo-clients': { type: 'string', default: '100' },
      'echo-rounds': { type: 'string', default: '200' },
      idle: { type: 'string', default: '5000' },
      window: { type: 'string', default: '100' },
      out: { type: 'string', default: 'docs/benchmarks.md' },
      'skip-cluster': { type: 'boolean', default: false },
      'metrics-passes': { type: 'string', default: '2' },
      'skip-flood': { type: 'boolean', default: false },
      'tracing-passes': { type: 'string', default: '2' },
    },
  });
  const servers = values.servers.split(',').map((name) => name.trim());
  for (const name of servers) {
    if (!(SERVER_NAMES as readonly string[]).includes(name)) {
      throw new Error(`unknown server "${name}" (one of ${SERVER_NAMES.join(', ')})`);
    }
  }
  const messages = positive('messages', values.messages);
  return {
    servers: servers as ServerName[],
    clients: positive('clients', values.clients),
    messages,
    size: positive('size', values.size),
    perTick: values['per-tick'] === undefined ? messages : positive('per-tick', values['per-tick']),
    spread: positive('spread', values.spread),
    rounds: positive('rounds', values.rounds),
    passes: positive('passes', values.passes),
    rpcClients: values['rpc-clients'].split(',').map((n) => positive('rpc-clients', n.trim())),
    rpcRounds: positive('rpc-rounds', values['rpc-rounds']),
    rpcPasses: values['rpc-passes'] === '0' ? 0 : positive('rpc-passes', values['rpc-passes']),
    echoClients: positive('echo-clients', values['echo-clients']),
    echoRounds: positive('echo-rounds', values['echo-rounds']),
    idle: positive('idle', values.idle),
    window: positive('window', values.window),
    out: values.out,
    cluster: !values['skip-cluster'],
    metricsPasses:
      values['metrics-passes'] === '0' ? 0 : positive('metrics-passes', values['metrics-passes']),
    flood: !values['skip-flood'],
    tracingPasses:
      values['tracing-passes'] === '0' ? 0 : positive('tracing-passes', values['tracing-passes']),
  };
}

function positive(name: string, value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0)
    throw new Error(`--${name} must be a positive integer`);
  return number;
}
