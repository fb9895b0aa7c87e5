import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A WebSocket server that counts upgrades (time and client, from the `c` query parameter) and
 * does what a test tells it with each accepted socket: keep it, or shed it at once with 1013.
 * It restarts on the same port, so clients' reconnects after a restart can be counted.
 */
export class CountingServer {
  /** Every accepted upgrade: when (performance.now()) and which client (`?c=`). */
  readonly upgrades: Array<{ at: number; client: string }> = [];
  readonly sockets = new Set<WebSocket>();
  /** What happens to an accepted socket: undefined keeps it open. */
  shed: { code: number; reason: string } | undefined;
  private http: Server | undefined;

  private constructor(public port: number) {}

  static async start(): Promise<CountingServer> {
    const server = new CountingServer(0);
    await server.listen();
    return server;
  }

  url(client: number | string): string {
    return `ws://127.0.0.1:${this.port}/ws?c=${client}`;
  }

  async listen(): Promise<void> {
    const http = createServer();
    const wss = new WebSocketServer({ server: http });
    wss.on('connection', (socket, request) => {
      const client = new URL(request.url ?? '/', 'http://x').searchParams.get('c') ?? '';
      this.upgrades.push({ at: performance.now(), client });
      if (this.shed) {
        socket.close(this.shed.code, this.shed.reason);
        return;
      }
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    http.listen(this.port, '127.0.0.1');
    await once(http, 'listening');
    this.port = (http.address() as AddressInfo).port;
    this.http = http;
  }

  /** Closes every socket with `code` (and reason) and stops listening: a node going down. */
  async stop(code = 1001, reason = ''): Promise<void> {
    for (const socket of this.sockets) socket.close(code, reason);
    const http = this.http;
    this.http = undefined;
    if (!http) return;
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  }

  /** Upgrades per bucket of `ms` from `from`, in order (empty buckets included). */
  histogram(from: number, ms: number): number[] {
    const buckets: number[] = [];
    for (const { at } of this.upgrades) {
      if (at < from) continue;
      const index = Math.floor((at - from) / ms);
      while (buckets.length <= index) buckets.push(0);
      buckets[index]++;
    }
    return buckets;
  }
}
