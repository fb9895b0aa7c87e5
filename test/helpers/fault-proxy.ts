import { once } from 'node:events';
import { createServer, Socket, type Server } from 'node:net';

/**
 * One client connection through the proxy. `sent` is everything the client wrote so far (as
 * latin1 text, enough to recognise RESP commands such as SUBSCRIBE or a payload marker).
 */
export class ProxiedConnection {
  sent = '';
  /** Replies held back while stalled, released in one write by `resume()`. */
  private held: Buffer[] = [];
  private stalled = false;
  private delayMs = 0;
  /** Set by `dropAfter`: the pattern whose command runs on the server but whose reply is lost. */
  private dropPattern: string | undefined;
  private dropArmed = false;
  private dropped: (() => void) | undefined;
  private severed = false;
  private blackholed = false;

  constructor(
    readonly client: Socket,
    readonly server: Socket,
  ) {
    client.on('data', (chunk: Buffer) => {
      if (this.severed || this.blackholed) return;
      this.sent += chunk.toString('latin1');
      if (this.dropPattern !== undefined && chunk.toString('latin1').includes(this.dropPattern)) {
        this.dropArmed = true;
      }
      server.write(chunk);
    });
    server.on('data', (chunk: Buffer) => this.fromServer(chunk));
    const end = (): void => {
      // A black hole tells neither side that the other one left.
      if (this.blackholed) return;
      client.destroy();
      server.destroy();
    };
    client.on('close', end).on('error', end);
    server.on('close', () => this.severed || end()).on('error', () => this.severed || end());
  }

  /** Whether the client subscribed on this connection (it is a pub/sub connection). */
  get isSubscriber(): boolean {
    return /SUBSCRIBE/i.test(this.sent);
  }

  get closed(): boolean {
    return this.client.destroyed;
  }

  /**
   * The next command containing `pattern` reaches the server and runs there, then the connection
   * is cut before its reply reaches the client. Resolves once the cut happened.
   */
  dropAfter(pattern: string): Promise<void> {
    this.dropPattern = pattern;
    return new Promise((resolve) => (this.dropped = resolve));
  }

  /** Holds every reply from the server until `resume()` (the server keeps running commands). */
  stall(): void {
    this.stalled = true;
  }

  /** Releases what `stall()` held, in one write, and lets later replies through. */
  resume(): void {
    this.stalled = false;
    const held = Buffer.concat(this.held);
    this.held = [];
    if (held.length > 0 && !this.client.destroyed) this.client.write(held);
  }

  /** Every later reply reaches the client `ms` late (0: no delay). */
  delay(ms: number): void {
    this.delayMs = ms;
  }

  /**
   * Closes the server side only: the server forgets this client (and its subscriptions), while
   * the client's connection stays open and silent, as when a server drops a client whose reader
   * is stuck. The client notices nothing until it checks.
   */
  sever(): void {
    this.severed = true;
    this.server.destroy();
  }

  /**
   * From now on every byte either way is lost and neither side learns of a close by the other:
   * a dead path (a laptop lid, a NAT that forgot the flow), not a clean close. Only timeouts tell.
   */
  blackhole(): void {
    this.blackholed = true;
    this.held = [];
  }

  /** Cuts the connection at once, both ways. */
  cut(): void {
    this.client.destroy();
    this.server.destroy();
  }

  private fromServer(chunk: Buffer): void {
    if (this.blackholed) return;
    if (this.dropArmed) {
      // The command ran on the server (this is its reply): lose the reply and the connection.
      this.dropArmed = false;
      this.dropPattern = undefined;
      this.cut();
      this.dropped?.();
      return;
    }
    if (this.stalled) {
      this.held.push(chunk);
      return;
    }
    if (this.delayMs > 0) {
      setTimeout(() => this.client.destroyed || this.client.write(chunk), this.delayMs);
      return;
    }
    this.client.write(chunk);
  }
}

/**
 * A TCP proxy in front of a real server (Redis) that injects faults per connection: lose a reply
 * after its command ran, stall or delay replies, cut a connection, or refuse new connections.
 */
export class FaultProxy {
  readonly connections: ProxiedConnection[] = [];
  private refusing = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(targetPort: number): Promise<FaultProxy> {
    let proxy: FaultProxy | undefined;
    const server = createServer((client) => {
      if (proxy!.refusing) {
        client.destroy();
        return;
      }
      const upstream = new Socket();
      upstream.connect(targetPort, '127.0.0.1');
      proxy!.connections.push(new ProxiedConnection(client, upstream));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    proxy = new FaultProxy(server, (server.address() as { port: number }).port);
    return proxy;
  }

  /** Open connections, oldest first. */
  open(): ProxiedConnection[] {
    return this.connections.filter((connection) => !connection.closed);
  }

  /** The open pub/sub connection and the open command connection (one node behind the proxy). */
  subscriber(): ProxiedConnection | undefined {
    return this.open().find((connection) => connection.isSubscriber);
  }

  commands(): ProxiedConnection | undefined {
    return this.open().find((connection) => !connection.isSubscriber);
  }

  /** New connections are closed at once while true (the network is cut for newcomers). */
  refuse(refusing: boolean): void {
    this.refusing = refusing;
  }

  async stop(): Promise<void> {
    for (const connection of this.connections) connection.cut();
    this.server.close();
    await once(this.server, 'close');
  }
}
