import type { KwsBroker } from '../broker/kws-broker.interface.js';
import type { KwsEventDispatcher } from '../events/event.dispatcher.js';
import type { KwsConnectionPool } from '../server/connection.pool.js';
import type { KwsFrameWriter } from '../transport/frame.writer.js';

/** What every connection of one endpoint shares: one object, referenced, never copied. */
export interface KwsContext {
  readonly dispatcher: KwsEventDispatcher;
  readonly broker: KwsBroker;
  readonly pool: KwsConnectionPool;
  readonly writer: KwsFrameWriter;
}
