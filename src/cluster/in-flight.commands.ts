import type { KwsOutcomeUnknownReason } from '../errors/kws-outcome-unknown.error.js';

/**
 * A Redis command whose outcome is unknown: it was sent, and its connection dropped before the
 * reply (or no reply came within the command timeout). The broker turns it into
 * `KwsOutcomeUnknownError`; anything else a command rejects with means it did not run.
 */
export class CommandOutcomeUnknown extends Error {
  constructor(
    readonly reason: KwsOutcomeUnknownReason,
    options?: ErrorOptions,
  ) {
    super(`outcome unknown (${reason})`, options);
  }
}

/** ioredis' text for a command whose reply did not come within `commandTimeout`. */
const TIMED_OUT = 'Command timed out';
/**
 * ioredis' text for the commands of a connection that closed before their replies (with Redis
 * Cluster a master's connection closes on its own, without the cluster client closing).
 */
const CONNECTION_CLOSED = 'Connection is closed.';

/**
 * The commands sent on one connection and not answered yet. ioredis would re-send them after a
 * reconnect (a duplicate PUBLISH); the broker turns that off and settles them here instead, at
 * once, when the connection drops.
 */
export class InFlightCommands {
  private readonly pending = new Set<(error: Error) => void>();

  track<T>(command: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const abort = (error: Error): void => {
        this.pending.delete(abort);
        reject(error);
      };
      this.pending.add(abort);
      command.then(
        (value) => {
          this.pending.delete(abort);
          resolve(value);
        },
        (error: unknown) => {
          if (!this.pending.has(abort)) return;
          const message = error instanceof Error ? error.message : '';
          if (message === TIMED_OUT) abort(new CommandOutcomeUnknown('timeout', { cause: error }));
          else if (message === CONNECTION_CLOSED) {
            abort(new CommandOutcomeUnknown('connection-lost', { cause: error }));
          } else abort(toError(error));
        },
      );
    });
  }

  /** The connection dropped: every command still waiting has an unknown outcome. */
  connectionLost(): void {
    for (const abort of Array.from(this.pending))
      abort(new CommandOutcomeUnknown('connection-lost'));
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
