import type { KwsBroker } from '../broker/kws-broker.interface.js';
import type { KwsDeliveryPath } from '../connection/delivery.path.js';
import type { Kws } from '../connection/kws.js';
import { toOutbound, type KwsMessage, type KwsOutbound } from '../connection/outbound.message.js';
import type { KwsParser } from '../events/kws-packet.interface.js';

/**
 * Recovery off: a message goes as it is, without an offset; a connection's send to itself is the
 * frame writer's, a send to others the broker's.
 */
export class KwsDirectDelivery implements KwsDeliveryPath {
  constructor(
    protected readonly broker: KwsBroker,
    protected readonly parser: KwsParser,
  ) {}

  pathFor(_message: KwsMessage): KwsDeliveryPath {
    return this;
  }

  outbound(message: KwsMessage, binary: boolean | undefined): KwsOutbound {
    return toOutbound(message, binary, this.parser);
  }

  emit(kws: Kws, message: KwsOutbound): boolean {
    return kws.send(message) && kws.backPressure === undefined;
  }

  emitTo(uuid: string, message: KwsOutbound): Promise<void> {
    return this.broker.emitTo(uuid, message);
  }

  emitToList(uuids: readonly string[], message: KwsOutbound): Promise<string[]> {
    return this.broker.emitToList(uuids, message);
  }

  broadcast(message: KwsOutbound, except?: string, room?: string): Promise<string[]> {
    return this.broker.broadcast(message, except, room);
  }
}
