// What every benchmarked server process offers the orchestrator, whatever library it runs:
// start, CPU and memory readings, a broadcast burst, stop. Each server file only says how its
// library listens, broadcasts and closes.
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { serveIpc } from '../ipc.js';

/** One library's server, started on a loopback port. */
export interface BenchServer {
  port: number;
  /** Sends `payload` (a text message) to every connected client, as the library's users would. */
  broadcast(payload: string): void;
  close(): Promise<void>;
}

export interface CpuReading {
  /** user + system microseconds since the process started. */
  micros: number;
}

export interface MemoryReading {
  heapUsed: number;
  rss: number;
}

/** A client text message starting with '!' asks the server to broadcast it to everyone. */
export const BROADCAST_MARK = 0x21;

const gc = (globalThis as { gc?: () => void }).gc;

/** Runs `start` when asked and serves the orchestrator's calls until `stop`. */
export function runBenchServer(start: () => Promise<BenchServer>): void {
  let server: BenchServer | undefined;
  serveIpc({
    start: async () => {
      server = await start();
      return server.port;
    },
    cpu: (): CpuReading => {
      const usage = process.cpuUsage();
      return { micros: usage.user + usage.system };
    },
    memory: async (): Promise<MemoryReading> => {
      if (!gc) throw new Error('run the server with --expose-gc');
      // Two passes with a turn between them: the first frees what finalizers release for the second.
      gc();
      await nextMacrotask();
      gc();
      const { heapUsed, rss } = process.memoryUsage();
      return { heapUsed, rss };
    },
    broadcast: async ({
      count,
      size,
      perTick,
    }: {
      count: number;
      size: number;
      perTick: number;
    }) => {
      if (!server) throw new Error('not started');
      const payload = 'x'.repeat(size);
      for (let sent = 0; sent < count;) {
        const burst = Math.min(perTick, count - sent);
        for (let i = 0; i < burst; i++) server.broadcast(payload);
        sent += burst;
        if (sent < count) await nextMacrotask();
      }
    },
    stop: async () => {
      await server?.close();
      setImmediate(() => process.exit(0));
    },
  });
}
