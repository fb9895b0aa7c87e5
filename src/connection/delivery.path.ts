import type { Kws } from './kws.js';
import type { KwsMessage, KwsOutbound } from './outbound.message.js';

/**
 * How an endpoint's sends reach their recipients, chosen once when the endpoint is built
 * (`kws.context.delivery`, see src/server/kws-context.factory.ts): as they are without recovery
 * (`KwsDirectDelivery`), numbered by this node and kept in the sessions with recovery on one node
 * (`KwsKeptDelivery`), numbered by the cluster's log and delivered from it with recovery in
 * cluster mode (`KwsLogDelivery`). `Kws`, `KwsServer` and channels send through it only.
 */
export interface KwsDeliveryPath {
  /**
   * The path of one message: this one, unless the message cannot take it (raw data has no
   * offset, so it never goes through a log). Decided when the message is built, never later.
   */
  pathFor(message: KwsMessage): KwsDeliveryPath;
  /** The one outgoing message of a send, built once for every recipient; throws `KwsEncodeError`. */
  outbound(message: KwsMessage, binary: boolean | undefined): KwsOutbound;
  /** A connection's send to itself (`kws.emit`): what `emit` returns. */
  emit(kws: Kws, message: KwsOutbound): boolean;
  /** To one uuid, wherever it lives (as `KwsBroker.emitTo`). */
  emitTo(uuid: string, message: KwsOutbound): Promise<void>;
  /** To each uuid; resolves with the ones it could not reach (as `KwsBroker.emitToList`). */
  emitToList(uuids: readonly string[], message: KwsOutbound): Promise<string[]>;
  /** To every connection, or a room's members, but `except` (as `KwsBroker.broadcast`). */
  broadcast(message: KwsOutbound, except?: string, room?: string): Promise<string[]>;
}
