// A raw `ws` client speaking socket.io (Engine.IO v4 over websocket) to the socket.io cluster
// nodes: the same client-side cost as BenchClient, with socket.io's framing.
import { WebSocket } from 'ws';
import type { BenchSocket } from './bench-client.js';

const PATH = '/socket.io/?EIO=4&transport=websocket';

export class SocketIoBenchClient implements BenchSocket {
  received = 0;
  private waiter: ((text: string) => void) | undefined;

  private constructor(
    private readonly socket: WebSocket,
    readonly uuid: string,
  ) {
    socket.on('message', (data: Buffer) => {
      if (data[0] === 0x32 && data.length === 1) return void socket.send('3'); // ping -> pong
      if (data[0] !== 0x34 || data[1] !== 0x32) return; // not an event
      this.received++;
      const wake = this.waiter;
      this.waiter = undefined;
      wake?.(data.toString());
    });
  }

  /** Connects, joins the default namespace and waits for the node's `uuid` event. */
  static open(base: string): Promise<SocketIoBenchClient> {
    const socket = new WebSocket(`${base}${PATH}`);
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      const handshake = (data: Buffer): void => {
        const text = data.toString();
        if (text.startsWith('0')) socket.send('40');
        else if (text.startsWith('42["uuid"')) {
          socket.off('message', handshake);
          resolve(new SocketIoBenchClient(socket, (JSON.parse(text.slice(2)) as string[])[1]));
        }
      };
      socket.on('message', handshake);
    });
  }

  next(): Promise<string> {
    return new Promise((resolve) => (this.waiter = resolve));
  }

  send(text: string): void {
    // ">uuid rest": ask this client's node to emit `rest` to the socket `uuid`, wherever it is.
    const space = text.indexOf(' ');
    const to = text.slice(1, space);
    this.socket.send(`42${JSON.stringify(['to', { to, data: text.slice(space + 1) }])}`);
  }

  close(): void {
    this.socket.terminate();
  }
}

/** Opens `count` clients spread round-robin over the nodes' base URLs, a window at a time. */
export async function openSocketIoClients(
  bases: string[],
  count: number,
  window = 100,
): Promise<SocketIoBenchClient[]> {
  const clients: SocketIoBenchClient[] = [];
  for (let start = 0; start < count; start += window) {
    const size = Math.min(window, count - start);
    const batch = Array.from({ length: size }, (_, i) =>
      SocketIoBenchClient.open(bases[(start + i) % bases.length]),
    );
    clients.push(...(await Promise.all(batch)));
  }
  return clients;
}
