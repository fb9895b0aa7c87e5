// A raw `ws` client of the cluster benchmark: knows its uuid (the node's first message) and
// counts or awaits what arrives.
import { WebSocket } from 'ws';

export class BenchClient implements BenchSocket {
  received = 0;
  private waiter: ((text: string) => void) | undefined;

  private constructor(
    readonly socket: WebSocket,
    readonly uuid: string,
  ) {
    socket.on('message', (data: Buffer) => {
      this.received++;
      const wake = this.waiter;
      this.waiter = undefined;
      wake?.(data.toString());
    });
  }

  static open(url: string): Promise<BenchClient> {
    const socket = new WebSocket(url);
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      const first = (data: Buffer): void => {
        const text = data.toString();
        // With recovery on, the session packet comes before the node's "uuid:" message.
        if (!text.startsWith('uuid:')) return;
        socket.off('message', first);
        resolve(new BenchClient(socket, text.slice(5)));
      };
      socket.on('message', first);
    });
  }

  /** The next message's text. */
  next(): Promise<string> {
    return new Promise((resolve) => (this.waiter = resolve));
  }

  send(text: string): void {
    this.socket.send(text);
  }

  close(): void {
    this.socket.terminate();
  }
}

/** Opens `count` clients spread round-robin over `urls`, a window at a time. */
export async function openClients(
  urls: string[],
  count: number,
  window = 100,
): Promise<BenchClient[]> {
  const clients: BenchClient[] = [];
  for (let start = 0; start < count; start += window) {
    const size = Math.min(window, count - start);
    const batch = Array.from({ length: size }, (_, i) =>
      BenchClient.open(urls[(start + i) % urls.length]),
    );
    clients.push(...(await Promise.all(batch)));
  }
  return clients;
}

/** What the fan-out and latency measurements need of a client, whatever server it speaks to. */
export interface BenchSocket {
  readonly uuid: string;
  received: number;
  /** The next data message's text. */
  next(): Promise<string>;
  /** ">uuid rest" asks the client's node to send `rest` to `uuid`. */
  send(text: string): void;
  close(): void;
}
