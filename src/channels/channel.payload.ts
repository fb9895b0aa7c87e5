import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Kws } from '../connection/kws.js';
import { KwsEventPayloadImpl } from '../events/event.payload.js';
import { PAYLOAD_ARG_INDEX } from '../events/listener-args.js';

/** The payload of a channel handler: an event payload that also names the channel. */
export class KwsChannelPayload extends KwsEventPayloadImpl {
  constructor(
    kws: Kws,
    /** The event: `kws:join`, `kws:leave` or the channel's own event. */
    name: string,
    readonly channel: string,
    data: unknown,
    ackId?: number,
  ) {
    super(kws, name, data, false, null, ackId);
  }
}

/** The name of the channel a channel handler runs for (`'room:42'`). */
export const KwsChannelName = createParamDecorator(
  (_data: unknown, context: ExecutionContext) =>
    (context.getArgByIndex(PAYLOAD_ARG_INDEX) as KwsChannelPayload | undefined)?.channel,
);
