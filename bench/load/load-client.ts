// The load process: opens the clients, counts deliveries and times echoes for the orchestrator.
// One process for every server, so client-side cost is the same for all of them.
import hdr from 'hdr-histogram-js';
import { WebSocket } from 'ws';
import { serveIpc } from '../ipc.js';
import { dialects, type Dialect, type DialectName } from './dialects.js';

interface Client {
  socket: WebSocket;
  /** Set while an echo is in flight on this client. */
  onData: (() => void) | undefined;
}

export interface EchoResult {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

let dialect: Dialect = dialects.raw;
let clients: Client[] = [];
let received = 0;
let target = Infinity;
let armedTotal = 0;
let reached: (() => void) | undefined;

// What a desktop browser sends with an upgrade, cookies included (2 KB: a session, analytics...).
const BROWSER_HEADERS = {
  'User-Agent':
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Accept-Language': 'en-GB,en;q=0.9,fr;q=0.8',
  'Accept-Encoding': 'gzip, deflate, br, zstd',
  'Cache-Control': 'no-cache',
  Pragma: 'no-cache',
  Origin: 'https://app.example.com',
  Cookie: Array.from({ length: 16 }, (_, i) => `c${i}=${'v'.repeat(120)}`).join('; '),
};

function open(url: string, browser = false): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, {
      perMessageDeflate: false,
      headers: browser ? BROWSER_HEADERS : undefined,
    });
    const client: Client = { socket, onData: undefined };
    const ready = (): void => resolve(client);
    socket.on('message', (data: Buffer) => {
      const kind = dialect.receive(socket, data);
      if (kind === 'data') {
        if (++received >= target) reached?.();
        client.onData?.();
      } else if (kind === 'ready') {
        ready();
      }
    });
    if (dialect.readyOnOpen) socket.once('open', ready);
    socket.on('error', reject);
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`HTTP ${response.statusCode} from ${url}`)),
    );
  });
}

/** Opens `count` clients with at most `window` handshakes in flight; resolves with the wall ms. */
async function connect(args: {
  port: number;
  dialect: DialectName;
  count: number;
  window: number;
  browser?: boolean;
}): Promise<{ ms: number }> {
  dialect = dialects[args.dialect];
  const url = `ws://127.0.0.1:${args.port}${dialect.path}`;
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < args.count) {
      next++;
      clients.push(await open(url, args.browser));
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.window, args.count) }, worker));
  return { ms: performance.now() - started };
}

/** Starts counting toward `total` more data messages (all clients together). */
function arm({ total }: { total: number }): void {
  armedTotal = total;
  target = received + total;
}

/** Resolves once the armed total has arrived. */
function delivered({ timeoutMs }: { timeoutMs: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const got = received - (target - armedTotal);
      reject(new Error(`only ${got} of ${armedTotal} deliveries arrived`));
    }, timeoutMs);
    reached = () => {
      clearTimeout(timer);
      reached = undefined;
      target = Infinity;
      resolve();
    };
    if (received >= target) reached();
  });
}

/** Each of the first `count` clients echoes `rounds` times, one request in flight at a time. */
async function echo(args: {
  count: number;
  rounds: number;
  warmup: number;
  size: number;
}): Promise<EchoResult> {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000 });
  const request = dialect.echoRequest('e'.repeat(args.size));
  const loop = async (client: Client): Promise<void> => {
    for (let round = 0; round < args.warmup + args.rounds; round++) {
      const sent = process.hrtime.bigint();
      await new Promise<void>((resolve) => {
        client.onData = resolve;
        client.socket.send(request);
      });
      client.onData = undefined;
      if (round >= args.warmup) {
        histogram.recordValue(Number((process.hrtime.bigint() - sent) / 1000n));
      }
    }
  };
  await Promise.all(clients.slice(0, args.count).map(loop));
  const result = {
    count: histogram.totalCount,
    p50: histogram.getValueAtPercentile(50),
    p99: histogram.getValueAtPercentile(99),
    max: histogram.maxValue,
  };
  histogram.destroy();
  return result;
}

/**
 * Each of the first `senders` clients sends one message for the server to broadcast: all at once,
 * or each at a random time within `spreadMs` (a chat room where people type at their own pace).
 */
function chat({ senders, size, spreadMs }: { senders: number; size: number; spreadMs: number }) {
  const request = dialect.broadcastRequest('!' + 'x'.repeat(size - 1));
  const active = clients.slice(0, senders);
  // Sender i speaks at a random moment within its own slot of the window: random times, yet
  // rarely two in one turn, even when this process falls a little behind on its timers.
  const slot = spreadMs / Math.max(active.length, 1);
  active.forEach((client, i) => {
    if (spreadMs === 0) client.socket.send(request);
    else setTimeout(() => client.socket.send(request), (i + Math.random()) * slot);
  });
}

/**
 * Request/ack round trips: each of the first `count` clients sends `rounds` requests, one in
 * flight at a time, each answered by the server's handler (an acknowledgement, or a gateway's
 * returned `WsResponse`). Latency per round trip, and the wall time of the whole run.
 */
async function rpc(args: {
  count: number;
  rounds: number;
  warmup: number;
  size: number;
}): Promise<EchoResult & { ms: number }> {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000 });
  const payload = 'r'.repeat(args.size);
  let nextId = 1;
  const loop = async (client: Client, measured: boolean, rounds: number): Promise<void> => {
    for (let round = 0; round < rounds; round++) {
      const request = dialect.ackRequest(payload, nextId++);
      const sent = process.hrtime.bigint();
      await new Promise<void>((resolve) => {
        client.onData = resolve;
        client.socket.send(request);
      });
      client.onData = undefined;
      if (measured) histogram.recordValue(Number((process.hrtime.bigint() - sent) / 1000n));
    }
  };
  const active = clients.slice(0, args.count);
  await Promise.all(active.map((client) => loop(client, false, args.warmup)));
  const started = performance.now();
  await Promise.all(active.map((client) => loop(client, true, args.rounds)));
  const ms = performance.now() - started;
  const result = {
    count: histogram.totalCount,
    p50: histogram.getValueAtPercentile(50),
    p99: histogram.getValueAtPercentile(99),
    max: histogram.maxValue,
    ms,
  };
  histogram.destroy();
  return result;
}

/** Closes every client and waits (briefly) for the server to acknowledge. */
async function closeAll(): Promise<void> {
  const sockets = clients.map((client) => client.socket);
  clients = [];
  const closing = sockets.map(
    (socket) =>
      new Promise<void>((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.close();
      }),
  );
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, 5_000).unref());
  await Promise.race([Promise.all(closing), timeout]);
  for (const socket of sockets) if (socket.readyState !== WebSocket.CLOSED) socket.terminate();
}

serveIpc({
  connect,
  arm,
  delivered,
  chat,
  echo,
  rpc,
  closeAll,
  exit: () => setImmediate(() => process.exit(0)),
});
