import type { KwsDeliveryPath } from '../connection/delivery.path.js';
import type { Kws } from '../connection/kws.js';
import {
  isEventPacket,
  toOutbound,
  type KwsMessage,
  type KwsOutbound,
} from '../connection/outbound.message.js';
import type { KwsParser } from '../events/kws-packet.interface.js';
import type { KwsRecoveryLog } from './recovery-store.interface.js';

/**
 * Recovery in cluster mode: a named event is numbered by the cluster's log and delivered from it,
 * in its order, on every node (the sender's own connection too), so a client resumes on any node
 * with nothing lost. Raw data cannot carry an offset: it takes the direct path.
 */
export class KwsLogDelivery implements KwsDeliveryPath {
  constructor(
    private readonly log: KwsRecoveryLog,
    private readonly parser: KwsParser,
    private readonly direct: KwsDeliveryPath,
  ) {}

  pathFor(message: KwsMessage): KwsDeliveryPath {
    return isEventPacket(message) ? this : this.direct;
  }

  /** Unnumbered: the log gives it its offset (the stream id) when it is read back. */
  outbound(message: KwsMessage, binary: boolean | undefined): KwsOutbound {
    return toOutbound(message, binary, this.parser);
  }

  emit(kws: Kws, message: KwsOutbound): boolean {
    kws.reported(this.log.emitTo(kws.uuid, message), message).catch(noop);
    return kws.isReachable();
  }

  emitTo(uuid: string, message: KwsOutbound): Promise<void> {
    return this.log.emitTo(uuid, message);
  }

  emitToList(uuids: readonly string[], message: KwsOutbound): Promise<string[]> {
    return this.log.emitToList(uuids, message);
  }

  broadcast(message: KwsOutbound, except?: string, room?: string): Promise<string[]> {
    return this.log.broadcast(message, except, room);
  }
}

function noop(): void {}
