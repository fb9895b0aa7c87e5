import { once } from 'node:events';
import { createServer, Socket, type Server } from 'node:net';

/** A backend of the balancer: its port, and whether it is ready (a readiness probe's answer). */
export interface Backend {
  port: number;
  ready(): boolean;
}

/**
 * A tiny round-robin TCP load balancer, as in front of a cluster: each new connection goes to the
 * next ready backend (one whose readiness is down gets no new connections, as a Kubernetes
 * Service does once its readinessProbe fails); a backend that refuses the TCP connection is
 * skipped for the next one. Open connections stay where they are.
 */
export class TcpBalancer {
  private backends: Backend[] = [];
  private next = 0;
  private readonly sockets = new Set<Socket>();
  /** Connections sent to each port. */
  readonly routed = new Map<number, number>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(backends: Backend[] = []): Promise<TcpBalancer> {
    let balancer: TcpBalancer | undefined;
    const server = createServer((client) => balancer!.route(client));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    balancer = new TcpBalancer(server, (server.address() as { port: number }).port);
    balancer.backends = [...backends];
    return balancer;
  }

  add(backend: Backend): void {
    this.backends.push(backend);
  }

  remove(port: number): void {
    this.backends = this.backends.filter((backend) => backend.port !== port);
  }

  private route(client: Socket, tried = 0): void {
    this.sockets.add(client);
    client.once('close', () => this.sockets.delete(client));
    const ready = this.backends.filter((backend) => backend.ready());
    if (ready.length === 0 || tried >= ready.length) {
      client.destroy();
      return;
    }
    const backend = ready[this.next++ % ready.length];
    const upstream = new Socket();
    client.pause();
    let connected = false;
    upstream.once('error', () => {
      // Refused: the next backend, as a balancer's retry would.
      if (!connected && !client.destroyed) {
        this.sockets.delete(client);
        this.route(client, tried + 1);
      }
    });
    upstream.connect(backend.port, '127.0.0.1', () => {
      connected = true;
      this.routed.set(backend.port, (this.routed.get(backend.port) ?? 0) + 1);
      this.sockets.add(upstream);
      upstream.once('close', () => this.sockets.delete(upstream));
      client.pipe(upstream).pipe(client);
      client.resume();
      const end = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
    await once(this.server, 'close');
  }
}
