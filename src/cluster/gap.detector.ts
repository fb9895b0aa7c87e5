import type { PublishStream } from './publish.sequencer.js';

/** Messages a node missed from one publisher on one stream (see `KwsRedisBroker.onGap`). */
export interface KwsClusterGap {
  /** The node that published them. */
  origin: string;
  /** The room whose channel they went to; undefined for the broadcast channel (every node). */
  room: string | undefined;
  /** How many messages were missed. */
  missed: number;
}

/**
 * Follows the numbers of each publisher on each stream this node listens to (see
 * `PublishSequencer`) and reports the messages that never arrived: Redis dropped them, e.g. with
 * the subscription of a node that did not read fast enough, although their publish succeeded.
 */
export class GapDetector {
  private readonly streams = new Map<PublishStream, Map<string, { epoch: number; seq: number }>>();

  /**
   * A message arrived: the gap before it, or undefined. The first message of a publisher on a
   * stream, or of a new epoch, starts the count (nothing before it was expected).
   */
  seen(origin: string, stream: PublishStream, epoch: number, seq: number): number {
    let origins = this.streams.get(stream);
    if (!origins) this.streams.set(stream, (origins = new Map()));
    const last = origins.get(origin);
    origins.set(origin, { epoch, seq });
    if (!last || last.epoch !== epoch || seq <= last.seq) return 0;
    return seq - last.seq - 1;
  }

  /** This node stopped listening to `stream` (its last member of the room left). */
  forgetStream(stream: PublishStream): void {
    this.streams.delete(stream);
  }

  /** `origin` left the cluster. */
  forgetOrigin(origin: string): void {
    for (const origins of this.streams.values()) origins.delete(origin);
  }
}
