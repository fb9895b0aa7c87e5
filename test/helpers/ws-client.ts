import { WebSocket, type ClientOptions } from 'ws';

export interface ReceivedMessage {
  data: Buffer;
  isBinary: boolean;
  text: string;
}

/** A real `ws` client that queues what it receives so a test can await it in order. */
export class TestClient {
  readonly received: ReceivedMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: Array<() => void> = [];
  private cursor = 0;

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      this.received.push({ data, isBinary, text: data.toString() });
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
    socket.on('error', () => {});
  }

  /** The next message not yet taken by `next()`. */
  async next(timeoutMs = 5_000): Promise<ReceivedMessage> {
    await this.waitFor(() => this.received.length > this.cursor, timeoutMs, 'a message');
    return this.received[this.cursor++];
  }

  /** Waits until `count` messages in all have arrived. */
  async waitForCount(count: number, timeoutMs = 5_000): Promise<void> {
    await this.waitFor(() => this.received.length >= count, timeoutMs, `${count} messages`);
  }

  send(data: string | Buffer, binary?: boolean): void {
    this.socket.send(data, { binary: binary ?? typeof data !== 'string' });
  }

  close(code?: number, reason?: string): Promise<{ code: number; reason: string }> {
    this.socket.close(code, reason);
    return this.closed;
  }

  private waitFor(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      const check = (): void => {
        if (ready()) {
          clearTimeout(timer);
          resolve();
        } else if (this.socket.readyState === WebSocket.CLOSED) {
          clearTimeout(timer);
          reject(new Error(`socket closed while waiting for ${what}`));
        } else {
          this.waiters.push(check);
        }
      };
      this.waiters.push(check);
    });
  }
}

/** Opens a WebSocket and resolves once it is open (rejects on an HTTP refusal). */
export function connect(url: string, options?: ClientOptions): Promise<TestClient> {
  const socket = new WebSocket(url, options);
  const client = new TestClient(socket);
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(client));
    socket.once('unexpected-response', (_request, response) =>
      reject(
        Object.assign(new Error(`HTTP ${response.statusCode}`), { status: response.statusCode }),
      ),
    );
    socket.once('error', reject);
  });
}

/** Opens many clients, a batch at a time, so 2,000 handshakes do not overrun the accept queue. */
export async function connectMany(
  url: (i: number) => string,
  count: number,
  batch = 200,
): Promise<TestClient[]> {
  const clients: TestClient[] = [];
  for (let start = 0; start < count; start += batch) {
    const size = Math.min(batch, count - start);
    clients.push(
      ...(await Promise.all(Array.from({ length: size }, (_, i) => connect(url(start + i))))),
    );
  }
  return clients;
}

/** `eventually` for a read that is a promise (a Redis query, say): polls one read at a time. */
export async function eventuallyAsync<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!check(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    value = await read();
  }
  return value;
}

/** Polls until `check` passes or the time is up; returns the last value for the assertion. */
export async function eventually<T>(
  read: () => T,
  check: (value: T) => boolean,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = read();
  // A promise would pass any check at once: async reads need a loop of their own.
  if (value instanceof Promise) throw new TypeError('eventually() polls synchronous reads only');
  while (!check(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    value = read();
  }
  return value;
}
