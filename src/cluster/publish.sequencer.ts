import { randomInt } from 'node:crypto';

/** Where a cluster message was published: `''` (the broadcast channel) or a room's channel. */
export type PublishStream = string;

/** The stream of a publish: the broadcast channel, or a room's channel. */
export function publishStream(room: string | undefined): PublishStream {
  return room === undefined ? '' : `room:${room}`;
}

/**
 * Numbers what this node publishes without waiting for an answer (broadcasts, fire, closeAll),
 * per stream, so that a receiver can tell when it missed some (see `GapDetector`). Numbers run
 * within an epoch; a publish that failed starts a new epoch, so that a number given to a message
 * that never reached Redis is not read as a loss by the receivers.
 */
export class PublishSequencer {
  private epoch = randomInt(1, 0xffffffff);
  private readonly last = new Map<PublishStream, number>();

  /** The epoch and number of the next message on `stream`. */
  next(stream: PublishStream): { epoch: number; seq: number } {
    const seq = (this.last.get(stream) ?? 0) + 1;
    this.last.set(stream, seq);
    return { epoch: this.epoch, seq };
  }

  /** A publish failed (not sent, or outcome unknown): numbering starts again in a new epoch. */
  broken(): void {
    this.epoch = (this.epoch % 0xffffffff) + 1;
    this.last.clear();
  }
}
