// Request/response over a forked child's IPC channel: the orchestrator drives the server and the
// load client step by step, and each step's answer comes back on the same channel.
import type { ChildProcess } from 'node:child_process';

interface Request {
  id: number;
  op: string;
  args: unknown;
}

interface Response {
  id: number;
  result?: unknown;
  error?: string;
}

/** The handlers a child process offers; each op takes one JSON-able argument. */
export type IpcHandlers = Record<string, (args: never) => unknown>;

/** Child side: answers the parent's calls, one handler per op. */
export function serveIpc(handlers: IpcHandlers): void {
  process.on('message', (message: Request) => {
    const handler = handlers[message.op] as ((args: unknown) => unknown) | undefined;
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown op ${message.op}`);
        return handler(message.args);
      })
      .then(
        (result) => process.send?.({ id: message.id, result } satisfies Response),
        (error: unknown) =>
          process.send?.({
            id: message.id,
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          } satisfies Response),
      );
  });
}

/** Parent side: calls a child's ops and awaits their answers. */
export class IpcPeer {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.on('message', (message: Response) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) waiter.reject(new Error(`${name}: ${message.error}`));
      else waiter.resolve(message.result);
    });
    child.on('exit', (code, signal) => {
      for (const waiter of this.pending.values()) {
        waiter.reject(new Error(`${name} exited (${code ?? signal}) during a call`));
      }
      this.pending.clear();
    });
  }

  call<T>(op: string, args?: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ id, op, args } satisfies Request);
    });
  }
}
