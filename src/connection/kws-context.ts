import type { KwsBroker } from '../interfaces/kws-broker.interface.js';
import type { KwsEventDispatcher } from '../listeners/kws-event.dispatcher.js';
import type { KwsConnectionPool } from '../server/kws-connection-pool.js';
import type { KwsFrameWriter } from '../transport/kws-frame-writer.js';

/** What every connection of one endpoint shares: one object, referenced, never copied. */
export interface KwsContext {
  readonly dispatcher: KwsEventDispatcher;
  readonly broker: KwsBroker;
  readonly pool: KwsConnectionPool;
  readonly writer: KwsFrameWriter;
}
