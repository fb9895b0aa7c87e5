import type { Kws } from '../connection/kws.js';
import type { KwsEventPayload } from './kws-event-payload.interface.js';

/** One payload per dispatch, shared by all the listeners of that event. */
export class KwsEventPayloadImpl implements KwsEventPayload<unknown> {
  readonly socketUUID: string;
  readonly socketAttributes: Readonly<Record<string, unknown>>;

  constructor(
    readonly kws: Kws,
    readonly name: string,
    readonly data: unknown,
    readonly isBinary: boolean,
    readonly error: Error | null,
    readonly ackId?: number,
  ) {
    this.socketUUID = kws.uuid;
    this.socketAttributes = kws.attributesSnapshot();
  }
}
