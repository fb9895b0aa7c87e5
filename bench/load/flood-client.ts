// The flooder: one raw `ws` client sending at a fixed high rate (far above any rate limit) in a
// process of its own, while the load process times other clients' echoes (bench/flood-cost.ts).
import { WebSocket } from 'ws';
import { serveIpc } from '../ipc.js';

/** Never more than this queued in the socket: as fast as the server reads, never unbounded. */
const HIGH_WATER = 1024 * 1024;
/** The flood is paced in 10 ms slices, so the flooder does not starve the other processes. */
const SLICE_MS = 10;

let socket: WebSocket | undefined;
let timer: NodeJS.Timeout | undefined;
let sent = 0;
let echoed = 0;

/** Opens one connection and sends `rate` frames per second of `size` bytes until `stop`. */
function start({ port, size, rate }: { port: number; size: number; rate: number }): Promise<void> {
  const payload = 'f'.repeat(size);
  const perSlice = Math.max(1, Math.round((rate * SLICE_MS) / 1000));
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false });
    socket = ws;
    ws.on('message', () => echoed++);
    ws.on('error', reject);
    ws.once('open', () => {
      timer = setInterval(() => {
        if (ws.readyState !== WebSocket.OPEN) return;
        for (let i = 0; i < perSlice && ws.bufferedAmount < HIGH_WATER; i++) {
          ws.send(payload);
          sent++;
        }
      }, SLICE_MS);
      resolve();
    });
  });
}

/** Stops flooding; resolves with frames sent and frames the server passed on (and echoed). */
async function stop(): Promise<{ sent: number; echoed: number }> {
  clearInterval(timer);
  // Echoes of frames already passed on may still be in flight: a short grace, then count.
  await new Promise((resolve) => setTimeout(resolve, 200));
  socket?.terminate();
  return { sent, echoed };
}

serveIpc({ start, stop, exit: () => setImmediate(() => process.exit(0)) });
