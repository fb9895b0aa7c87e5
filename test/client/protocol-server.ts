import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

/** One packet or frame a client sent, as the server parsed it. */
export interface Received {
  socket: WebSocket;
  text: string;
  packet?: any;
}

/**
 * A small real server speaking PROTOCOL.md (JSON parser) with `ws`, for client tests that need
 * what a Nest app does not give on demand: restarts on the same port, chosen close codes,
 * silent events, and the recovery handshake (session packets, offsets, replay).
 *
 * Client events it answers: `echo` (acks its data), `fail` (error ack 403), `silent` (no ack).
 */
export class ProtocolServer {
  readonly received: Received[] = [];
  /** The URL of every upgrade, in order (to read the resume query parameters). */
  readonly upgrades: string[] = [];
  /** The resume handshake each upgrade carried in its subprotocols (undefined: none). */
  readonly resumes: Array<{ token: string; offset: string } | undefined> = [];
  readonly sockets = new Set<WebSocket>();
  /** Sends a `session` packet first on every connection, and an `offset` on every event. */
  recovery = false;
  private http: Server | undefined;
  private wss: WebSocketServer | undefined;
  private nextRequest = 0;
  private readonly acks = new Map<number, (packet: any) => void>();
  private tokens = new Map<string, { uuid: string; socket?: WebSocket }>();
  /** Events kept per session uuid, with their offset, for the replay. */
  private readonly kept = new Map<string, Array<{ offset: number; text: string }>>();
  private nextOffset = 0;

  private constructor(public port: number) {}

  static async start(port = 0): Promise<ProtocolServer> {
    const server = new ProtocolServer(port);
    await server.listen();
    return server;
  }

  url(path = '/ws'): string {
    return `ws://127.0.0.1:${this.port}${path}`;
  }

  /** (Re)opens the server on its port. */
  async listen(): Promise<void> {
    const http = createServer();
    const wss = new WebSocketServer({ server: http });
    wss.on('connection', (socket, request) =>
      this.accept(socket, request.url ?? '/', request.headers['sec-websocket-protocol']),
    );
    http.listen(this.port, '127.0.0.1');
    await once(http, 'listening');
    this.port = (http.address() as AddressInfo).port;
    this.http = http;
    this.wss = wss;
  }

  /** Closes every connection with `code` and stops listening (a server going away). */
  async stop(code = 1001, reason = 'Server shutting down'): Promise<void> {
    for (const socket of this.sockets) socket.close(code, reason);
    await Promise.all([...this.sockets].map((socket) => once(socket, 'close')));
    this.wss?.close();
    this.http?.close();
    if (this.http?.listening) await once(this.http, 'close');
  }

  /** Cuts every connection without a close handshake (a network loss). */
  drop(): void {
    for (const socket of this.sockets) socket.terminate();
  }

  /** Sends an event to every connection (kept for the replay when recovery is on). */
  emit(event: string, data?: unknown): void {
    const offset = this.nextOffset++;
    for (const [uuid] of this.kept) {
      const packet = { event, data, offset: String(offset) };
      this.kept.get(uuid)!.push({ offset, text: JSON.stringify(packet) });
    }
    for (const socket of this.sockets) {
      const packet = this.recovery ? { event, data, offset: String(offset) } : { event, data };
      socket.send(JSON.stringify(packet));
    }
  }

  /** `kws.request` on one connection: resolves with the client's ack packet. */
  request(socket: WebSocket, event: string, data?: unknown): Promise<any> {
    const id = ++this.nextRequest;
    socket.send(JSON.stringify({ event, data, id }));
    return new Promise((resolve) => this.acks.set(id, resolve));
  }

  /** The connections open now, oldest first. */
  async connection(count = 1): Promise<WebSocket[]> {
    await waitUntil(() => this.sockets.size >= count, `${count} connection(s)`);
    return [...this.sockets];
  }

  private accept(socket: WebSocket, url: string, protocols: string | undefined): void {
    this.upgrades.push(url);
    const entries = (protocols ?? '').split(',').map((entry) => entry.trim());
    const token = entries.find((entry) => entry.startsWith('kws-resume.'));
    const offset = entries.find((entry) => entry.startsWith('kws-offset.'));
    const resume = token
      ? { token: token.slice('kws-resume.'.length), offset: (offset ?? 'kws-offset.').slice(11) }
      : undefined;
    this.resumes.push(resume);
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    if (this.recovery) this.startSession(socket, resume);
    socket.on('message', (data, isBinary) => this.onFrame(socket, data.toString(), isBinary));
  }

  private startSession(
    socket: WebSocket,
    resume: { token: string; offset: string } | undefined,
  ): void {
    const previous = this.tokens.get(resume?.token ?? '');
    this.tokens.delete(resume?.token ?? ''); // single use
    const uuid = previous?.uuid ?? `uuid-${this.tokens.size}-${Math.random()}`;
    const token = `token-${Math.random()}`;
    this.tokens.set(token, { uuid });
    const kept = this.kept.get(uuid) ?? [];
    this.kept.set(uuid, []);
    socket.send(JSON.stringify({ session: { token, recovered: !!previous, uuid } }));
    if (previous) {
      const after = resume?.offset ? Number(resume.offset) : -1;
      for (const entry of kept) if (entry.offset > after) socket.send(entry.text);
    }
  }

  private onFrame(socket: WebSocket, text: string, isBinary: boolean): void {
    let packet: any;
    try {
      packet = isBinary ? undefined : JSON.parse(text);
    } catch {
      // raw text
    }
    this.received.push({ socket, text, packet });
    if (typeof packet?.ack === 'number') this.acks.get(packet.ack)?.(packet);
    else if (packet?.id !== undefined) this.answer(socket, packet);
  }

  private answer(socket: WebSocket, { event, data, id }: any): void {
    if (event === 'echo') socket.send(JSON.stringify({ ack: id, data }));
    if (event === 'fail') {
      socket.send(
        JSON.stringify({ ack: id, error: { message: 'Forbidden resource', status: 403 } }),
      );
    }
  }
}

/** Polls `check` until it holds; throws after `timeoutMs` naming what it waited for. */
export async function waitUntil(check: () => boolean, what: string, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
