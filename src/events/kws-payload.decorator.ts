import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { PAYLOAD_ARG_INDEX } from './listener-args.js';

/** The whole `KwsEventPayload` of the event (what a listener without param decorators receives). */
export const KwsPayload = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  context.getArgByIndex(PAYLOAD_ARG_INDEX),
);
