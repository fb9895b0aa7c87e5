import { randomBytes } from 'node:crypto';
import { toOutbound, type KwsMessage, type KwsOutbound } from '../connection/outbound.message.js';
import { KwsDirectDelivery } from '../server/direct.delivery.js';

/**
 * Recovery on one node (or with a broker that keeps no log): named events are numbered with this
 * node's offsets, and each recipient's session keeps them as they are written (`Kws.send`).
 */
export class KwsKeptDelivery extends KwsDirectDelivery {
  /** Offsets are unique per process (and unguessable across restarts), ordered within it. */
  private readonly offsetPrefix = `${randomBytes(4).toString('base64url')}.`;
  private sequence = 0;

  override outbound(message: KwsMessage, binary: boolean | undefined): KwsOutbound {
    return toOutbound(message, binary, this.parser, this);
  }

  /** The offset of the next named event (raw data cannot carry one). */
  nextOffset(): string {
    return this.offsetPrefix + (++this.sequence).toString(36);
  }
}
